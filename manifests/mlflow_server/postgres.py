"""Local stacks: the registry's PostgreSQL in the cluster, a one-replica StatefulSet with its own volume, so a
kind cluster has a complete MLflow with no external service. Not highly available, and not meant to be:
GKE stacks use Cloud SQL (components/data/mlflow_server.py)."""

from __future__ import annotations

from typing import Any

from facts import mlflow_server as facts
from manifests.security_context import restricted_container_security
from plan.mlflow_server import MlflowServerPlan

POSTGRES_NAME = "mlflow-postgres"


def postgres_selector(plan: MlflowServerPlan) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": POSTGRES_NAME,
        "app.kubernetes.io/instance": f"{POSTGRES_NAME}-{plan.environment}",
    }


def _labels(plan: MlflowServerPlan) -> dict[str, str]:
    return {**plan.labels, **postgres_selector(plan), "app.kubernetes.io/component": "database"}


def _metadata(plan: MlflowServerPlan) -> dict[str, Any]:
    return {"name": POSTGRES_NAME, "namespace": plan.namespace, "labels": _labels(plan)}


def _ready_check(period: int, failures: int) -> dict[str, Any]:
    return {
        "exec": {"command": ["pg_isready", "-h", "127.0.0.1", "-U", facts.DATABASE_USER, "-d", facts.DATABASE]},
        "periodSeconds": period,
        "failureThreshold": failures,
        "timeoutSeconds": 3,
    }


def statefulset_manifest(plan: MlflowServerPlan, password_secret: str) -> dict[str, Any]:
    uid = facts.POSTGRES_USER_ID
    claim: dict[str, Any] = {
        "metadata": {"name": "data", "labels": _labels(plan)},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": str(plan.local.database_storage)}},
        },
    }
    if plan.local.storage_class:
        claim["spec"]["storageClassName"] = plan.local.storage_class
    container = {
        "name": "postgres",
        "image": facts.POSTGRES_IMAGE,
        "env": [
            {"name": "POSTGRES_USER", "value": facts.DATABASE_USER},
            {"name": "POSTGRES_DB", "value": facts.DATABASE},
            {"name": "POSTGRES_PASSWORD", "valueFrom": {"secretKeyRef": {"name": password_secret, "key": "password"}}},
            {"name": "PGDATA", "value": facts.POSTGRES_DATA},
        ],
        "ports": [{"name": "postgres", "containerPort": facts.POSTGRES_PORT, "protocol": "TCP"}],
        "readinessProbe": _ready_check(5, 3),
        "livenessProbe": _ready_check(10, 6),
        "resources": plan.local.database_resources.as_values(cpu_limit=facts.POSTGRES_CPU_LIMIT),
        "securityContext": restricted_container_security(uid),
        "volumeMounts": [
            {"name": "data", "mountPath": "/var/lib/postgresql/data"},
            {"name": "run", "mountPath": "/var/run/postgresql"},  # the server's socket and lock file
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _metadata(plan),
        "spec": {
            "serviceName": POSTGRES_NAME,
            "replicas": 1,
            "selector": {"matchLabels": postgres_selector(plan)},
            "template": {
                "metadata": {"labels": _labels(plan)},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": uid,
                        "runAsGroup": uid,
                        "fsGroup": uid,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container],
                    "volumes": [{"name": "run", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}],
                    # PostgreSQL needs time to checkpoint on SIGTERM; the default 30 s can cut it short.
                    "terminationGracePeriodSeconds": 60,
                },
            },
            "volumeClaimTemplates": [claim],
        },
    }


def service_manifest(plan: MlflowServerPlan) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(plan),
        "spec": {
            "type": "ClusterIP",
            "selector": postgres_selector(plan),
            "ports": [{"name": "postgres", "port": facts.POSTGRES_PORT, "targetPort": "postgres", "protocol": "TCP"}],
        },
    }
