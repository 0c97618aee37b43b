"""The tracking server's namespace, ServiceAccount, Secrets, Service, PodDisruptionBudget and artifact volume."""

from __future__ import annotations

from typing import Any

from facts import mlflow_server as facts
from manifests.pod_security_namespace import pod_security_namespace
from plan.mlflow_server import MlflowServerPlan

DATABASE_SECRET = "mlflow-database"  # password: the database user's (Cloud SQL, or the local PostgreSQL)
AUTH_SECRET = "mlflow-auth"  # admin-password, flask-secret-key, basic_auth.ini


def metadata(plan: MlflowServerPlan, name: str = facts.NAME, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"name": name, "namespace": plan.namespace, "labels": labels or plan.labels}


def namespace_manifest(plan: MlflowServerPlan) -> dict[str, Any]:
    """Restricted: every pod of it (the server, the proxy, the local PostgreSQL) meets the standard."""
    labels = {
        "app.kubernetes.io/part-of": plan.labels["app.kubernetes.io/part-of"],
        "app.kubernetes.io/managed-by": "pulumi",
    }
    return pod_security_namespace(plan.namespace, labels, "restricted")


def service_account_manifest(plan: MlflowServerPlan, annotations: dict[str, Any] | None = None) -> dict[str, Any]:
    """`annotations`: on GKE, the Workload Identity binding to the server's Google service account."""
    meta = metadata(plan)
    if annotations:
        meta["annotations"] = dict(annotations)
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta, "automountServiceAccountToken": False}


def database_secret_manifest(plan: MlflowServerPlan, password: Any) -> dict[str, Any]:
    """`password`: a secret Output; builders never unwrap it."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(plan, DATABASE_SECRET),
        "type": "Opaque",
        "stringData": {"password": password},
    }


def auth_secret_manifest(
    plan: MlflowServerPlan, admin_password: Any, flask_secret_key: Any, config_ini: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(plan, AUTH_SECRET),
        "type": "Opaque",
        "stringData": {
            "admin-password": admin_password,
            "flask-secret-key": flask_secret_key,
            facts.AUTH_CONFIG_FILE: config_ini,
        },
    }


def service_manifest(plan: MlflowServerPlan) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(plan),
        "spec": {
            "type": "ClusterIP",
            "selector": plan.selector,
            "ports": [{"name": facts.PORT_NAME, "port": facts.PORT, "targetPort": facts.PORT_NAME, "protocol": "TCP"}],
        },
    }


def pdb_manifest(plan: MlflowServerPlan) -> dict[str, Any]:
    """maxUnavailable, so a one-replica server never blocks a node drain; with two, one always serves."""
    spec: dict[str, Any] = {"maxUnavailable": 1, "selector": {"matchLabels": plan.selector}}
    if plan.kubernetes_minor >= 27:
        spec["unhealthyPodEvictionPolicy"] = "AlwaysAllow"
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": metadata(plan), "spec": spec}


def artifacts_claim_manifest(plan: MlflowServerPlan, name: str) -> dict[str, Any]:
    """Local only: the artifact store, one ReadWriteOnce volume (hence one replica and Recreate)."""
    spec: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": str(plan.local.artifact_storage)}},
    }
    if plan.local.storage_class:
        spec["storageClassName"] = plan.local.storage_class
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata(plan, name), "spec": spec}
