"""The rules that make sense at admission, as native ValidatingAdmissionPolicies (CEL,
admissionregistration.k8s.io/v1, GA in Kubernetes 1.30) with bindings scoped to model namespaces.

They catch what bypasses Pulumi (kubectl apply, a controller's copy of a pod spec). Stack-wide rules
(autoscaler + PDB, default-deny, canary, budget) and cloud rules (labels, pools) are not expressible
on one admitted object and stay in the first two gates. Each CEL mirrors a Python check in the rule
modules and uses the same patterns and label keys; the tests evaluate both against the same objects.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import labels as L
from core.labels import MODEL
from guardrails.k8s_checks import (
    ACCELERATOR_LABEL,
    DIGEST_PATTERN,
    GPU_RESOURCE,
    GPU_TAINT_KEY,
    MAX_GPUS_PER_CONTAINER,
    SPOT_LABEL,
    SPOT_TAINT_KEY,
    TAG_PATTERN,
)
from guardrails.rule import GuardContext, Rule
from guardrails.rules_capacity import BATCH_ON_SPOT
from guardrails.rules_containers import CONTAINER_RESOURCES, CONTAINER_SECURITY
from guardrails.rules_gpu import GPU_LIMIT, GPU_SCHEDULING
from guardrails.rules_images import IMAGE_DIGEST, IMAGE_TAG

MIN_KUBERNETES_MINOR = 30  # ValidatingAdmissionPolicy v1 is GA from 1.30
POLICY_PREFIX = "mlops-"

_WORKLOADS = (
    {"apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]},
    {
        "apiGroups": ["apps"],
        "apiVersions": ["v1"],
        "resources": ["deployments", "statefulsets", "daemonsets", "replicasets"],
    },
    {"apiGroups": ["batch"], "apiVersions": ["v1"], "resources": ["jobs", "cronjobs"]},
)
_BATCH = ({"apiGroups": ["batch"], "apiVersions": ["v1"], "resources": ["jobs", "cronjobs"]},)

POD_SPEC = (
    "object.kind == 'Pod' ? object.spec : "
    "(object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec)"
)
CONTAINERS = (
    "variables.podSpec.containers + (has(variables.podSpec.initContainers) ? variables.podSpec.initContainers : [])"
)
VARIABLES = ({"name": "podSpec", "expression": POD_SPEC}, {"name": "containers", "expression": CONTAINERS})


def _cel_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _gpu_limit_of(c: str) -> str:
    return f"int(string({c}.resources.limits[{_cel_string(GPU_RESOURCE)}]))"


def _has_gpu_limit(c: str) -> str:
    return f"has({c}.resources) && has({c}.resources.limits) && {_cel_string(GPU_RESOURCE)} in {c}.resources.limits"


def _tolerates(key: str) -> str:
    return (
        "has(variables.podSpec.tolerations) && variables.podSpec.tolerations.exists(t, "
        f"((has(t.key) && t.key == {_cel_string(key)}) || ((!has(t.key) || t.key == '') && has(t.operator) && t.operator == 'Exists'))"
        " && (!has(t.effect) || t.effect == '' || t.effect == 'NoSchedule'))"
    )


def _platform_monitor() -> str:
    """The object is the platform's own monitoring job (core/labels.py), exempt from batch-on-spot."""
    key = _cel_string(L.WORKLOAD)
    return (
        f"has(object.metadata.labels) && {key} in object.metadata.labels"
        f" && object.metadata.labels[{key}] == {_cel_string(L.PLATFORM_MONITOR)}"
    )


def _selects(key: str, value: str | None = None) -> str:
    k = _cel_string(key)
    by_selector = f"(has(variables.podSpec.nodeSelector) && {k} in variables.podSpec.nodeSelector"
    by_selector += f" && variables.podSpec.nodeSelector[{k}] == {_cel_string(value)})" if value else ")"
    expression_ok = f"e.key == {k} && (e.operator == 'In' || e.operator == 'Exists')"
    if value:
        expression_ok += f" && has(e.values) && {_cel_string(value)} in e.values"
    required = "variables.podSpec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
    by_affinity = (
        "(has(variables.podSpec.affinity) && has(variables.podSpec.affinity.nodeAffinity)"
        f" && has({required}) && size({required}.nodeSelectorTerms) > 0"
        f" && {required}.nodeSelectorTerms.all(term, has(term.matchExpressions)"
        f" && term.matchExpressions.exists(e, {expression_ok})))"
    )
    return f"{by_selector} || {by_affinity}"


def _bool_setting(c: str, field: str, pod_default: bool = False) -> str:
    """The container's securityContext.<field>, else (pod_default) the pod's, else false."""
    own = f"(has({c}.securityContext) && has({c}.securityContext.{field}))"
    pod = f"(has(variables.podSpec.securityContext) && has(variables.podSpec.securityContext.{field}) && variables.podSpec.securityContext.{field} == true)"
    return f"({own} ? {c}.securityContext.{field} == true : {pod if pod_default else 'false'})"


_GPU_REQUESTED = f"variables.containers.exists(c, {_has_gpu_limit('c')} && {_gpu_limit_of('c')} > 0)"


@dataclass(frozen=True)
class AdmissionRule:
    rule: Rule
    resource_rules: tuple[dict, ...]
    validations: tuple[tuple[str, str], ...]  # (CEL expression, message)
    production_only: bool = False


ADMISSION_RULES: tuple[AdmissionRule, ...] = (
    AdmissionRule(
        GPU_LIMIT,
        _WORKLOADS,
        (
            (
                f"variables.containers.all(c, !({_has_gpu_limit('c')}) || {_gpu_limit_of('c')} <= {MAX_GPUS_PER_CONTAINER})",
                f"a container asks for more than {MAX_GPUS_PER_CONTAINER} GPUs (fix: lower resources.limits.nvidia.com/gpu)",
            ),
        ),
    ),
    AdmissionRule(
        GPU_SCHEDULING,
        _WORKLOADS,
        (
            (
                f"!({_GPU_REQUESTED}) || ({_tolerates(GPU_TAINT_KEY)})",
                f"GPU pods must tolerate the {GPU_TAINT_KEY} taint (fix: add the toleration)",
            ),
            (
                f"!({_GPU_REQUESTED}) || {_selects(ACCELERATOR_LABEL)}",
                f"GPU pods must select an accelerator (fix: nodeSelector {ACCELERATOR_LABEL})",
            ),
        ),
    ),
    AdmissionRule(
        IMAGE_TAG,
        _WORKLOADS,
        (
            (
                f"variables.containers.all(c, has(c.image) && (c.image.matches({_cel_string(DIGEST_PATTERN)}) || "
                f"(c.image.matches({_cel_string(TAG_PATTERN)}) && !c.image.endsWith(':latest'))))",
                "every image needs a tag other than latest, or a digest (fix: pin a release tag)",
            ),
        ),
    ),
    AdmissionRule(
        IMAGE_DIGEST,
        _WORKLOADS,
        (
            (
                f"variables.containers.all(c, !has(c.image) || c.image.matches({_cel_string(DIGEST_PATTERN)}))",
                "production images must be pinned by digest (fix: <image>:<tag>@sha256:<digest>)",
            ),
        ),
        production_only=True,
    ),
    AdmissionRule(
        CONTAINER_RESOURCES,
        _WORKLOADS,
        (
            (
                "variables.containers.all(c, has(c.resources) && has(c.resources.requests) && has(c.resources.limits)"
                " && 'cpu' in c.resources.requests && 'memory' in c.resources.requests"
                " && 'cpu' in c.resources.limits && 'memory' in c.resources.limits)",
                "every container needs cpu and memory requests and limits (fix: set resources)",
            ),
        ),
    ),
    AdmissionRule(
        CONTAINER_SECURITY,
        _WORKLOADS,
        (
            (
                f"variables.containers.all(c, {_bool_setting('c', 'runAsNonRoot', pod_default=True)}"
                " && !((has(c.securityContext) && has(c.securityContext.runAsUser)) ? c.securityContext.runAsUser == 0"
                " : (has(variables.podSpec.securityContext) && has(variables.podSpec.securityContext.runAsUser)"
                " && variables.podSpec.securityContext.runAsUser == 0)))",
                "containers must run as non-root (fix: securityContext.runAsNonRoot: true)",
            ),
            (
                "variables.containers.all(c, has(c.securityContext) && has(c.securityContext.allowPrivilegeEscalation)"
                " && c.securityContext.allowPrivilegeEscalation == false"
                " && !(has(c.securityContext.privileged) && c.securityContext.privileged == true))",
                "containers must not escalate privileges (fix: allowPrivilegeEscalation: false)",
            ),
            (
                f"variables.containers.all(c, {_bool_setting('c', 'readOnlyRootFilesystem')})",
                "containers need a read-only root filesystem (fix: readOnlyRootFilesystem: true)",
            ),
        ),
    ),
    AdmissionRule(
        BATCH_ON_SPOT,
        _BATCH,
        (
            (
                f"({_platform_monitor()}) || (({_selects(SPOT_LABEL, 'true')}) && ({_tolerates(SPOT_TAINT_KEY)}))",
                f"training/batch jobs run on spot nodes (fix: nodeSelector {SPOT_LABEL}: 'true' and its toleration)",
            ),
        ),
    ),
)


def policy_name(rule: Rule) -> str:
    return f"{POLICY_PREFIX}{rule.id}"


def _policy(entry: AdmissionRule) -> dict:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": policy_name(entry.rule), "labels": {"app.kubernetes.io/managed-by": "pulumi"}},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {
                "resourceRules": [{**r, "operations": ["CREATE", "UPDATE"]} for r in entry.resource_rules]
            },
            "variables": [dict(v) for v in VARIABLES],
            "validations": [
                {"expression": expression, "message": message, "reason": "Forbidden"}
                for expression, message in entry.validations
            ],
        },
    }


def _binding(entry: AdmissionRule, level: str) -> dict:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": policy_name(entry.rule), "labels": {"app.kubernetes.io/managed-by": "pulumi"}},
        "spec": {
            "policyName": policy_name(entry.rule),
            # Mandatory rules refuse the object; advisory ones warn the client and write the audit log.
            "validationActions": ["Deny"] if level == "mandatory" else ["Warn", "Audit"],
            "matchResources": {"namespaceSelector": {"matchExpressions": [{"key": MODEL, "operator": "Exists"}]}},
        },
    }


def admission_policies(context: GuardContext) -> list[dict]:
    """A policy and its binding per admission rule at this stack's level (none for a disabled rule)."""
    manifests = []
    for entry in ADMISSION_RULES:
        level = entry.rule.level(context)
        if level == "disabled" or (entry.production_only and not context.production):
            continue
        manifests += [_policy(entry), _binding(entry, level)]
    return manifests
