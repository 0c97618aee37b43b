"""The Feast feature server: its namespace, ServiceAccount, Deployment, Service and PodDisruptionBudget.

The container runs upstream's image as its own user (facts/feast.py [IMAGE]) with the restricted
securityContext every platform container has (manifests/serving.py), reads feature_store.yaml from a
ConfigMap and the Redis password from a Secret through the environment (manifests/feature_store/config.py).
"""

from __future__ import annotations

from typing import Any

from facts.feast import CONFIG_FILE, HEALTH_PATH, IMAGE, PASSWORD_ENV, RUN_AS_USER, SERVER_PORT, serve_command
from manifests.feature_store.config import REDIS_CA_CONFIG_MAP
from manifests.pod_security_namespace import pod_security_namespace
from manifests.security_context import restricted_container_security
from plan.feature_store import (
    CONFIG_DIR,
    CONFIG_MAP,
    PASSWORD_KEY,
    PASSWORD_SECRET,
    REDIS_CA_DIR,
    REGISTRY_DIR,
    SERVER_NAME,
    FeatureStorePlan,
)

COMPONENT = "feature-server"
REGISTRY_CLAIM = "feast-registry"


def server_selector(plan: FeatureStorePlan) -> dict[str, str]:
    return {"app.kubernetes.io/name": SERVER_NAME, "app.kubernetes.io/component": COMPONENT}


def namespace_manifest(plan: FeatureStorePlan) -> dict:
    return pod_security_namespace(plan.namespace, plan.labels, "restricted")


def service_account_manifest(plan: FeatureStorePlan, annotations: Any = None) -> dict:
    """`annotations`: the Workload Identity binding on GKE (a mapping, or an Output of one)."""
    metadata = plan.metadata(SERVER_NAME, COMPONENT)
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata, "automountServiceAccountToken": False}


def registry_claim_manifest(plan: FeatureStorePlan) -> dict:
    """Kubeconfig stacks: the registry file's volume (`feast apply` writes it, the server reads it)."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": plan.metadata(REGISTRY_CLAIM, COMPONENT),
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }


def _probe(kind: str, period: int, failures: int) -> dict:
    # Readiness asks /health, which answers 503 until the registry can be read; liveness only the socket,
    # so a registry outage takes pods out of the Service without restarting all of them ([CHART] uses TCP).
    action = {"httpGet": {"path": HEALTH_PATH, "port": "http"}} if kind == "http" else {"tcpSocket": {"port": "http"}}
    return {**action, "periodSeconds": period, "failureThreshold": failures, "timeoutSeconds": 5}


def _volumes(plan: FeatureStorePlan) -> tuple[list[dict], list[dict]]:
    volumes: list[dict] = [
        {"name": "config", "configMap": {"name": CONFIG_MAP}},
        {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
    ]
    mounts: list[dict] = [
        {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
        {"name": "tmp", "mountPath": "/tmp"},
    ]
    if plan.gke:
        volumes.append({"name": "redis-ca", "configMap": {"name": REDIS_CA_CONFIG_MAP}})
        mounts.append({"name": "redis-ca", "mountPath": REDIS_CA_DIR, "readOnly": True})
    else:
        volumes.append({"name": "registry", "persistentVolumeClaim": {"claimName": REGISTRY_CLAIM}})
        mounts.append({"name": "registry", "mountPath": REGISTRY_DIR})
    return volumes, mounts


def deployment_manifest(plan: FeatureStorePlan) -> dict:
    volumes, mounts = _volumes(plan)
    labels = {**plan.metadata(SERVER_NAME, COMPONENT)["labels"]}
    container = {
        "name": "server",
        "image": IMAGE,
        "command": serve_command(f"{CONFIG_DIR}/{CONFIG_FILE}"),
        "env": [
            {"name": PASSWORD_ENV, "valueFrom": {"secretKeyRef": {"name": PASSWORD_SECRET, "key": PASSWORD_KEY}}},
            # gunicorn (25.1+, under `feast serve`) creates its control socket in $HOME/.gunicorn: on a read-only
            # root filesystem only the /tmp emptyDir is writable.
            {"name": "HOME", "value": "/tmp"},
        ],
        "ports": [{"name": "http", "containerPort": SERVER_PORT, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
        "startupProbe": _probe("tcp", 5, 24),
        "readinessProbe": _probe("http", 10, 3),
        "livenessProbe": _probe("tcp", 20, 3),
        "securityContext": restricted_container_security(RUN_AS_USER),
        "volumeMounts": mounts,
    }
    pod_spec = {
        "serviceAccountName": SERVER_NAME,
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS_USER,
            "runAsGroup": RUN_AS_USER,
            "fsGroup": RUN_AS_USER,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": volumes,
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": key,
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": server_selector(plan)},
            }
            for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
        ],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": plan.metadata(SERVER_NAME, COMPONENT),
        "spec": {
            "replicas": plan.replicas,
            "selector": {"matchLabels": server_selector(plan)},
            "revisionHistoryLimit": 5,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }


def service_manifest(plan: FeatureStorePlan) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": plan.metadata(SERVER_NAME, COMPONENT),
        "spec": {
            "type": "ClusterIP",
            "selector": server_selector(plan),
            "ports": [{"name": "http", "port": SERVER_PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def pdb_manifest(plan: FeatureStorePlan) -> dict:
    # maxUnavailable 1: a drain keeps the other replicas serving, and a one-replica stack can still drain.
    spec: dict[str, Any] = {"maxUnavailable": 1, "selector": {"matchLabels": server_selector(plan)}}
    if plan.kubernetes_minor >= 27:
        spec["unhealthyPodEvictionPolicy"] = "AlwaysAllow"
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": plan.metadata(SERVER_NAME, COMPONENT),
        "spec": spec,
    }
