"""The wire-format objects the guardrail cases are made of (tests/guard_cases.py): a Deployment, a Job,
a node pool... as the engine records them, each a small builder a case patches one property of.
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


POD = "spec.template.spec"
C0 = f"{POD}.containers.0"
