"""Guardrail cases shared by the three gates' tests: for every rule a passing, a failing and a
missing-property case, as wire-format objects. The render gate runs the Python rules on them, the
policy pack's adapter (and, in .venv-policy, the real pulumi-policy classes) runs them through
CrossGuard's argument objects, and the admission tests evaluate the CEL policies on the same objects.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from guardrails.subject import SECRET_SIG, SIG_KEY, Subject

DIGEST = "@sha256:" + "a" * 64
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
SPOT_TOLERATION = {"key": "cloud.google.com/gke-spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
MODEL_LABELS = {"mlops.platform/model": "m", "app.kubernetes.io/name": "m"}
DELETE = object()


def patched(obj: dict, path: str, value: Any) -> dict:
    """A deep copy with obj[path] set (dotted; list indexes as numbers), or removed with DELETE."""
    result = copy.deepcopy(obj)
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    target: Any = result
    for key in keys[:-1]:
        target = target[key]
    if value is DELETE:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return result


def container(name: str = "server", gpus: int = 0) -> dict:
    limits: dict[str, Any] = {"cpu": "2", "memory": "2Gi"}
    if gpus:
        limits["nvidia.com/gpu"] = str(gpus)
    return {
        "name": name,
        "image": "docker.io/seldonio/mlserver:1.7.1-mlflow",
        "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": limits},
        "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True},
    }


def deployment(gpus: int = 0, name: str = "m", namespace: str = "ml-m") -> dict:
    pod: dict[str, Any] = {"containers": [container(gpus=gpus)], "initContainers": [container("model-download")]}
    if gpus:
        pod["nodeSelector"] = {"cloud.google.com/gke-accelerator": "nvidia-l4", "cloud.google.com/gke-nodepool": "l4"}
        pod["tolerations"] = [GPU_TOLERATION]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(MODEL_LABELS)},
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {"metadata": {"labels": {**MODEL_LABELS, "app.kubernetes.io/name": name}}, "spec": pod},
        },
    }


def job(kind: str = "Job") -> dict:
    pod = {
        "restartPolicy": "Never",
        "containers": [container("train")],
        "nodeSelector": {"cloud.google.com/gke-spot": "true"},
        "tolerations": [SPOT_TOLERATION],
    }
    spec: dict[str, Any] = {"template": {"spec": pod}}
    if kind == "CronJob":
        spec = {"schedule": "0 3 * * *", "jobTemplate": {"spec": spec}}
    return {"apiVersion": "batch/v1", "kind": kind, "metadata": {"name": "train", "namespace": "ml-m"}, "spec": spec}


def hpa(target: str = "m") -> dict:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "m", "namespace": "ml-m", "labels": dict(MODEL_LABELS)},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": 1,
            "maxReplicas": 3,
        },
    }


def scaled_object(target: str = "m") -> dict:
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": "m", "namespace": "ml-m"},
        "spec": {"scaleTargetRef": {"name": target}, "maxReplicaCount": 4, "triggers": []},
    }


def pdb(selector: dict | None = None) -> dict:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "m", "namespace": "ml-m"},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector or {"app.kubernetes.io/name": "m"}}},
    }


def namespace() -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml-m", "labels": dict(MODEL_LABELS)}}


def network_policy(spec: dict | None = None) -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny-ingress", "namespace": "ml-m"},
        "spec": spec if spec is not None else {"podSelector": {}, "policyTypes": ["Ingress"]},
    }


def canary(target: str = "m") -> dict:
    return {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": "m", "namespace": "ml-m"},
        "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "service": {"port": 8080},
            "analysis": {"interval": "1m", "threshold": 5, "stepWeights": [1, 5, 25]},
        },
    }


def node_pool(
    spot: bool | None = False, max_nodes: int = 3, machine: str = "g2-standard-8", labels: dict | None = None
) -> dict:
    config: dict[str, Any] = {
        "machineType": machine,
        "guestAccelerators": [{"type": "nvidia-l4", "count": 1.0}],
        "resourceLabels": labels if labels is not None else {"team": "ml-platform", "cost-centre": "cc-1"},
    }
    if spot is not None:
        config["spot"] = spot
    return {
        "name": "l4",
        "location": "us-central1",
        "nodeConfig": config,
        "autoscaling": {"totalMinNodeCount": 0.0, "totalMaxNodeCount": float(max_nodes)},
    }


def batch_pool(taints: list[dict] | None = None) -> dict:
    """The spot CPU pool batch jobs run on, as components/cluster/batch_node_pool.py sends it (GKE's spelling)."""
    spot_taint = {"key": "cloud.google.com/gke-spot", "value": "true", "effect": "NO_SCHEDULE"}
    batch_taint = {"key": "mlops.platform/node-role", "value": "batch", "effect": "NO_SCHEDULE"}
    return {
        "name": "batch-spot",
        "location": "us-central1",
        "nodeConfig": {
            "machineType": "e2-standard-4",
            "spot": True,
            "labels": {"mlops.platform/node-role": "batch"},
            "taints": taints if taints is not None else [spot_taint, batch_taint],
            "resourceLabels": {"team": "ml-platform", "cost-centre": "cc-1"},
        },
        "autoscaling": {"totalMinNodeCount": 0.0, "totalMaxNodeCount": 3.0},
    }


def bucket(labels: dict | None) -> dict:
    inputs: dict[str, Any] = {"name": "b", "location": "us-central1"}
    if labels is not None:
        inputs["labels"] = labels
    return inputs


def secret_value(value: str) -> dict:
    """How the engine records a Pulumi secret."""
    return {SIG_KEY: SECRET_SIG, "value": value}


def registry_secret(value: Any) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "registry-token", "namespace": "ml-m"},
        "type": "Opaque",
        "stringData": {"MLFLOW_TRACKING_TOKEN": value},
    }


_K8S_TYPES = {
    "Deployment": "kubernetes:apps/v1:Deployment",
    "Job": "kubernetes:batch/v1:Job",
    "CronJob": "kubernetes:batch/v1:CronJob",
    "HorizontalPodAutoscaler": "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    "ScaledObject": "kubernetes:keda.sh/v1alpha1:ScaledObject",
    "PodDisruptionBudget": "kubernetes:policy/v1:PodDisruptionBudget",
    "Namespace": "kubernetes:core/v1:Namespace",
    "NetworkPolicy": "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    "Canary": "kubernetes:flagger.app/v1beta1:Canary",
    "Secret": "kubernetes:core/v1:Secret",
}


def k8s(obj: dict) -> Subject:
    return Subject(_K8S_TYPES[obj["kind"]], f"{obj['metadata']['name']}-{obj['kind'].lower()}", obj)


def gcp(type_token: str, inputs: dict, name: str = "res") -> Subject:
    return Subject(type_token, name, inputs)


POOL = "gcp:container/nodePool:NodePool"
BUCKET = "gcp:storage/bucket:Bucket"


@dataclass(frozen=True)
class Case:
    rule: str
    name: str  # pass-..., fail-..., missing-...
    subjects: tuple[Subject, ...]
    violates: bool
    environment: str = "prod"
    gpu_budget: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.rule}:{self.name}"


_SERVING = (k8s(deployment()), k8s(hpa()), k8s(pdb()))
_AFFINITY = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {
                    "matchExpressions": [
                        {"key": "cloud.google.com/gke-accelerator", "operator": "In", "values": ["nvidia-l4"]}
                    ]
                }
            ]
        }
    }
}
_POD = "spec.template.spec"
_C0 = f"{_POD}.containers.0"

CASES: tuple[Case, ...] = (
    # gpu-limit-per-container
    Case("gpu-limit-per-container", "pass-two-gpus", (k8s(deployment(gpus=2)),), False),
    Case("gpu-limit-per-container", "fail-three-gpus", (k8s(deployment(gpus=3)),), True),
    Case("gpu-limit-per-container", "missing-limits", (k8s(patched(deployment(), f"{_C0}.resources", DELETE)),), False),
    # gpu-scheduling
    Case("gpu-scheduling", "pass-selector-and-toleration", (k8s(deployment(gpus=1)),), False),
    Case(
        "gpu-scheduling",
        "pass-affinity",
        (k8s(patched(patched(deployment(gpus=1), f"{_POD}.nodeSelector", DELETE), f"{_POD}.affinity", _AFFINITY)),),
        False,
    ),
    Case(
        "gpu-scheduling",
        "fail-other-toleration",
        (k8s(patched(deployment(gpus=1), f"{_POD}.tolerations", [SPOT_TOLERATION])),),
        True,
    ),
    Case(
        "gpu-scheduling",
        "missing-selector-and-tolerations",
        (k8s(patched(patched(deployment(gpus=1), f"{_POD}.tolerations", DELETE), f"{_POD}.nodeSelector", DELETE)),),
        True,
    ),
    # image-tag
    Case("image-tag", "pass-tagged", (k8s(deployment()),), False),
    Case("image-tag", "fail-latest", (k8s(patched(deployment(), f"{_C0}.image", "docker.io/x/server:latest")),), True),
    Case(
        "image-tag",
        "fail-port-is-not-a-tag",
        (k8s(patched(deployment(), f"{_C0}.image", "localhost:5000/server")),),
        True,
    ),
    Case("image-tag", "missing-tag", (k8s(patched(deployment(), f"{_C0}.image", "docker.io/x/server")),), True),
    Case("image-tag", "missing-image", (k8s(patched(deployment(), f"{_C0}.image", DELETE)),), True),
    # image-digest (production only)
    Case(
        "image-digest",
        "pass-digest",
        (
            k8s(
                patched(
                    patched(deployment(), f"{_C0}.image", f"docker.io/x/server:1.0{DIGEST}"),
                    f"{_POD}.initContainers.0.image",
                    f"ghcr.io/mlflow/mlflow{DIGEST}",
                )
            ),
        ),
        False,
    ),
    Case("image-digest", "fail-tag-only", (k8s(deployment()),), True),
    Case("image-digest", "pass-tag-only-outside-prod", (k8s(deployment()),), False, environment="dev"),
    Case(
        "image-digest",
        "missing-image",
        (k8s(patched(patched(deployment(), f"{_C0}.image", DELETE), f"{_POD}.initContainers", [])),),
        False,
    ),
    # container-resources
    Case("container-resources", "pass", (k8s(deployment()),), False),
    Case(
        "container-resources",
        "fail-no-memory-limit",
        (k8s(patched(deployment(), f"{_C0}.resources.limits.memory", DELETE)),),
        True,
    ),
    Case("container-resources", "missing-resources", (k8s(patched(deployment(), f"{_C0}.resources", DELETE)),), True),
    # container-security
    Case("container-security", "pass", (k8s(deployment()),), False),
    Case(
        "container-security",
        "pass-non-root-from-pod",
        (
            k8s(
                patched(
                    patched(deployment(), f"{_C0}.securityContext.runAsNonRoot", DELETE),
                    f"{_POD}.securityContext",
                    {"runAsNonRoot": True},
                )
            ),
        ),
        False,
    ),
    Case(
        "container-security",
        "fail-escalation",
        (k8s(patched(deployment(), f"{_C0}.securityContext.allowPrivilegeEscalation", True)),),
        True,
    ),
    Case(
        "container-security",
        "fail-root-user",
        (k8s(patched(deployment(), f"{_C0}.securityContext.runAsUser", 0)),),
        True,
    ),
    Case(
        "container-security",
        "fail-writable-root",
        (k8s(patched(deployment(), f"{_C0}.securityContext.readOnlyRootFilesystem", False)),),
        True,
    ),
    Case(
        "container-security",
        "missing-security-context",
        (k8s(patched(deployment(), f"{_C0}.securityContext", DELETE)),),
        True,
    ),
    # serving-autoscaler-and-pdb
    Case("serving-autoscaler-and-pdb", "pass-hpa", _SERVING, False),
    Case("serving-autoscaler-and-pdb", "pass-keda", (k8s(deployment()), k8s(scaled_object()), k8s(pdb())), False),
    Case(
        "serving-autoscaler-and-pdb",
        "fail-hpa-targets-another",
        (k8s(deployment()), k8s(hpa("other")), k8s(pdb())),
        True,
    ),
    Case(
        "serving-autoscaler-and-pdb",
        "fail-pdb-selects-others",
        (k8s(deployment()), k8s(hpa()), k8s(pdb({"app": "x"}))),
        True,
    ),
    Case("serving-autoscaler-and-pdb", "missing-pdb", (k8s(deployment()), k8s(hpa())), True),
    # namespace-default-deny
    Case("namespace-default-deny", "pass", (k8s(namespace()), k8s(network_policy())), False),
    Case(
        "namespace-default-deny",
        "fail-allows-ingress",
        (k8s(namespace()), k8s(network_policy({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]}))),
        True,
    ),
    Case("namespace-default-deny", "missing-policy", (k8s(namespace()),), True),
    # batch-on-spot
    Case("batch-on-spot", "pass-job", (k8s(job()),), False),
    Case("batch-on-spot", "pass-cronjob", (k8s(job("CronJob")),), False),
    Case("batch-on-spot", "fail-no-toleration", (k8s(patched(job(), f"{_POD}.tolerations", [])),), True),
    Case("batch-on-spot", "missing-node-selector", (k8s(patched(job(), f"{_POD}.nodeSelector", DELETE)),), True),
    # The platform's own monitor (core/labels.py WORKLOAD) runs wherever there is room: exempt, spot or not.
    Case(
        "batch-on-spot",
        "pass-platform-monitor-off-spot",
        (
            k8s(
                patched(
                    patched(job("CronJob"), "metadata.labels", {"mlops.platform/workload": "platform-monitor"}),
                    "spec.jobTemplate.spec.template.spec.nodeSelector",
                    DELETE,
                )
            ),
        ),
        False,
    ),
    # prod-serving-on-demand
    Case("prod-serving-on-demand", "pass-on-demand-pool", (gcp(POOL, node_pool(spot=False)),), False),
    Case("prod-serving-on-demand", "fail-spot-pool", (gcp(POOL, node_pool(spot=True)),), True),
    Case(
        "prod-serving-on-demand",
        "fail-deployment-selects-spot",
        (k8s(patched(deployment(), f"{_POD}.nodeSelector", {"cloud.google.com/gke-spot": "true"})),),
        True,
    ),
    Case(
        "prod-serving-on-demand",
        "pass-spot-pool-outside-prod",
        (gcp(POOL, node_pool(spot=True)),),
        False,
        environment="dev",
    ),
    Case("prod-serving-on-demand", "missing-spot-setting", (gcp(POOL, node_pool(spot=None)),), False),
    # The batch pool is spot in prod too: its taint keeps serving pods off it, and a Deployment tolerating it is not.
    Case("prod-serving-on-demand", "pass-spot-batch-pool", (gcp(POOL, batch_pool()),), False),
    Case(
        "prod-serving-on-demand",
        "fail-spot-pool-without-the-batch-taint",
        (
            gcp(
                POOL,
                batch_pool(taints=[{"key": "cloud.google.com/gke-spot", "value": "true", "effect": "NO_SCHEDULE"}]),
            ),
        ),
        True,
    ),
    Case(
        "prod-serving-on-demand",
        "fail-deployment-tolerates-the-batch-taint",
        (
            k8s(
                patched(
                    deployment(),
                    f"{_POD}.tolerations",
                    [
                        {
                            "key": "mlops.platform/node-role",
                            "operator": "Equal",
                            "value": "batch",
                            "effect": "NoSchedule",
                        }
                    ],
                )
            ),
        ),
        True,
    ),
    # gcp-cost-labels
    Case("gcp-cost-labels", "pass", (gcp(BUCKET, bucket({"team": "t", "cost-centre": "c"})),), False),
    Case("gcp-cost-labels", "fail-team-only", (gcp(BUCKET, bucket({"team": "t"})),), True),
    Case("gcp-cost-labels", "missing-labels", (gcp(BUCKET, bucket(None)),), True),
    Case("gcp-cost-labels", "missing-pool-labels", (gcp(POOL, node_pool(labels={})),), True),
    # secrets-as-secret-config
    Case(
        "secrets-as-secret-config", "pass-secret-ref-and-secret", (k8s(registry_secret(secret_value("tok-1"))),), False
    ),
    Case("secrets-as-secret-config", "fail-plain-secret", (k8s(registry_secret("tok-1")),), True),
    Case(
        "secrets-as-secret-config",
        "fail-token-in-env",
        (k8s(patched(deployment(), f"{_C0}.env", [{"name": "HF_TOKEN", "value": "hf_" + "x" * 34}])),),
        True,
    ),
    Case(
        "secrets-as-secret-config",
        "fail-password-in-url",
        (k8s(patched(deployment(), f"{_C0}.args", ["--db=postgresql://ml:hunter22@db:5432/features"])),),
        True,
    ),
    Case("secrets-as-secret-config", "missing-env", (k8s(deployment()),), False),
    # prod-model-canary
    Case("prod-model-canary", "pass", (k8s(deployment()), k8s(canary())), False),
    Case("prod-model-canary", "fail-canary-targets-another", (k8s(deployment()), k8s(canary("other"))), True),
    Case("prod-model-canary", "missing-canary", (k8s(deployment()),), True),
    Case("prod-model-canary", "missing-canary-outside-prod", (k8s(deployment()),), False, environment="staging"),
    # gpu-budget
    Case("gpu-budget", "pass-within", (gcp(POOL, node_pool(max_nodes=3)),), False, gpu_budget=4),
    Case(
        "gpu-budget",
        "fail-two-gpus-per-node",
        (gcp(POOL, node_pool(max_nodes=3, machine="g2-standard-24")),),
        True,
        gpu_budget=4,
    ),
    Case(
        "gpu-budget",
        "fail-canary-pods",  # 3 pool GPUs + 3 canary pods x 1 GPU (HPA maxReplicas 3) = 6 > 4
        (gcp(POOL, node_pool(max_nodes=3)), k8s(deployment(gpus=1)), k8s(hpa()), k8s(canary())),
        True,
        gpu_budget=4,
    ),
    Case("gpu-budget", "missing-budget", (gcp(POOL, node_pool(max_nodes=1)),), True),
    Case("gpu-budget", "missing-budget-without-gpus", (k8s(deployment()),), False),
)

ADMISSION_CASES = tuple(c for c in CASES if len(c.subjects) == 1 and c.subjects[0].pod_spec is not None)
