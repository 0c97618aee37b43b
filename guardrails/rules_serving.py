"""Stack rules over a model's serving objects: every serving Deployment has an autoscaler (HPA or KEDA
ScaledObject) and a PodDisruptionBudget; every serving namespace has a default-deny NetworkPolicy;
in production, every model's Deployment has a Flagger Canary.

"Serving" means labelled with the model label (core.labels.MODEL), which every model object carries.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.labels import MODEL
from guardrails.rule import GuardContext, Rule
from guardrails.subject import Subject, dig
from guardrails.violation import Finding


def serving_deployments(subjects: Sequence[Subject]) -> list[Subject]:
    return [s for s in subjects if s.kind == "Deployment" and MODEL in s.labels]


def _by_kind_and_namespace(subjects: Sequence[Subject]) -> dict[tuple[str, str], list[Subject]]:
    """One pass, in the subjects' order: filtering every subject per Deployment was quadratic in the catalogue."""
    index: dict[tuple[str, str], list[Subject]] = {}
    for s in subjects:
        if s.kind:
            index.setdefault((s.kind, s.namespace), []).append(s)
    return index


def _of_kind(index: dict[tuple[str, str], list[Subject]], kind: str, namespace: str) -> list[Subject]:
    return index.get((kind, namespace), [])


def _targets(subject: Subject, deployment: Subject, ref_field: str) -> bool:
    ref = dig(subject.plain, "spec", ref_field) or {}
    return ref.get("name") == deployment.k8s_name and ref.get("kind", "Deployment") == "Deployment"


def _autoscaler_and_pdb(subjects: Sequence[Subject], context: GuardContext) -> list[Finding]:
    findings = []
    index = _by_kind_and_namespace(subjects)
    for deployment in serving_deployments(subjects):
        ns = deployment.namespace
        scalers = _of_kind(index, "HorizontalPodAutoscaler", ns) + _of_kind(index, "ScaledObject", ns)
        if not any(_targets(s, deployment, "scaleTargetRef") for s in scalers):
            findings.append(
                Finding(
                    deployment.label,
                    "serving Deployment has no autoscaler (HorizontalPodAutoscaler or KEDA ScaledObject) targeting it",
                    "add an HPA or ScaledObject whose scaleTargetRef names this Deployment",
                )
            )
        pod_labels = deployment.pod_labels
        covering = [
            pdb
            for pdb in _of_kind(index, "PodDisruptionBudget", ns)
            if (selector := dig(pdb.plain, "spec", "selector", "matchLabels") or {})
            and all(pod_labels.get(k) == v for k, v in selector.items())
        ]
        if not covering:
            findings.append(
                Finding(
                    deployment.label,
                    "serving Deployment has no PodDisruptionBudget selecting its pods",
                    "add a PodDisruptionBudget (maxUnavailable: 1) whose selector matches the pod labels",
                )
            )
    return findings


def _is_default_deny(policy: Subject) -> bool:
    spec = policy.plain.get("spec") or {}
    return (
        spec.get("podSelector") == {}
        and "Ingress" in (spec.get("policyTypes") or [])
        and not spec.get("ingress")  # no allow rule: everything not allowed by another policy is denied
    )


def _default_deny(subjects: Sequence[Subject], context: GuardContext) -> list[Finding]:
    findings = []
    index = _by_kind_and_namespace(subjects)
    for namespace in (s for s in subjects if s.kind == "Namespace" and MODEL in s.labels):
        name = namespace.k8s_name
        if not any(_is_default_deny(p) for p in _of_kind(index, "NetworkPolicy", name)):
            findings.append(
                Finding(
                    namespace.label,
                    "serving namespace has no default-deny ingress NetworkPolicy",
                    "add a NetworkPolicy with podSelector: {} and policyTypes: [Ingress] and no ingress rules",
                )
            )
    return findings


def _canary(subjects: Sequence[Subject], context: GuardContext) -> list[Finding]:
    if not context.production:
        return []
    index = _by_kind_and_namespace(subjects)
    return [
        Finding(
            deployment.label,
            "production model has no Canary: a new version would replace every pod at once",
            "deliver the model through a Flagger Canary whose targetRef names this Deployment",
        )
        for deployment in serving_deployments(subjects)
        if not any(_targets(c, deployment, "targetRef") for c in _of_kind(index, "Canary", deployment.namespace))
    ]


AUTOSCALER_AND_PDB = Rule(
    "serving-autoscaler-and-pdb",
    "Every serving Deployment has an autoscaler (HPA or KEDA ScaledObject) and a PodDisruptionBudget.",
    stack_check=_autoscaler_and_pdb,
)
DEFAULT_DENY = Rule(
    "namespace-default-deny",
    "Every serving namespace has a default-deny ingress NetworkPolicy.",
    stack_check=_default_deny,
)
PROD_CANARY = Rule(
    "prod-model-canary",
    "In production, every model's serving Deployment is the target of a Flagger Canary.",
    stack_check=_canary,
)
