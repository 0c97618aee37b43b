"""The tracking server's Deployment: `mlflow server` (manifests/mlflow_server/server_args.py), and on GKE the
Cloud SQL Auth Proxy beside it, the way Google recommends GKE workloads reach Cloud SQL [CSQL-PROXY]: the
proxy authenticates as the pod's Workload Identity and encrypts the connection; MLflow talks to 127.0.0.1.
"""

from __future__ import annotations

from typing import Any

from facts import mlflow_server as facts
from manifests.mlflow_server.objects import AUTH_SECRET, DATABASE_SECRET, metadata
from manifests.mlflow_server.postgres import POSTGRES_NAME
from manifests.mlflow_server.server_args import (
    BACKEND_URI_ENV,
    PASSWORD_ENV,
    PASSWORD_REFERENCE,
    backend_store_uri,
    server_args,
)
from manifests.security_context import restricted_container_security
from plan.mlflow_server import MlflowServerPlan

ARTIFACTS_MOUNT = "/mlartifacts"
ARTIFACTS_CLAIM = "mlflow-artifacts"


def _secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


PROBE_TIMEOUT_SECONDS = 3
# The server's readiness probe; the Gateway's health check of its Service is timed the same (route.py).
READINESS_PERIOD_SECONDS = 10
READINESS_FAILURES = 3


def _probe(path: str, port: str | int, period: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": port},
        "periodSeconds": period,
        "failureThreshold": failures,
        "timeoutSeconds": PROBE_TIMEOUT_SECONDS,
    }


def database_host(plan: MlflowServerPlan) -> str:
    """GKE: the proxy in the same pod; local: the PostgreSQL StatefulSet's Service."""
    if plan.store == "cloud-sql":
        return "127.0.0.1"
    return f"{POSTGRES_NAME}.{plan.namespace}.svc.cluster.local"


def artifacts_destination(plan: MlflowServerPlan, bucket: Any) -> Any:
    """gs://<bucket> on GKE (`bucket` may be an Output); the artifact volume locally."""
    if plan.store == "in-cluster":
        return ARTIFACTS_MOUNT
    if isinstance(bucket, str):
        return f"gs://{bucket}"
    return bucket.apply(lambda name: f"gs://{name}")


def _server(plan: MlflowServerPlan, destination: Any) -> dict[str, Any]:
    env: list[dict[str, Any]] = [
        _secret_env(PASSWORD_ENV, DATABASE_SECRET, "password"),
        {
            "name": BACKEND_URI_ENV,
            "value": backend_store_uri(database_host(plan), facts.POSTGRES_PORT, PASSWORD_REFERENCE),
        },
        {"name": "HOME", "value": "/tmp"},  # the root filesystem is read-only
    ]
    mounts: list[dict[str, Any]] = [{"name": "tmp", "mountPath": "/tmp"}]
    if plan.auth:
        env += [
            {"name": "MLFLOW_AUTH_CONFIG_PATH", "value": f"{facts.AUTH_CONFIG_DIR}/{facts.AUTH_CONFIG_FILE}"},
            _secret_env("MLFLOW_AUTH_ADMIN_PASSWORD", AUTH_SECRET, "admin-password"),
            _secret_env("MLFLOW_FLASK_SERVER_SECRET_KEY", AUTH_SECRET, "flask-secret-key"),
        ]
        mounts.append({"name": "auth-config", "mountPath": facts.AUTH_CONFIG_DIR, "readOnly": True})
    if plan.store == "in-cluster":
        mounts.append({"name": "artifacts", "mountPath": ARTIFACTS_MOUNT})
    return {
        "name": facts.NAME,
        "image": facts.IMAGE,
        "args": server_args(destination, plan.allowed_hosts, workers=plan.workers, auth=plan.auth),
        "env": env,
        "ports": [{"name": facts.PORT_NAME, "containerPort": facts.PORT, "protocol": "TCP"}],
        # The first start migrates an empty database: give it minutes, then check every 10 s.
        "startupProbe": _probe(facts.HEALTH_PATH, facts.PORT_NAME, 5, 60),
        "readinessProbe": _probe(facts.HEALTH_PATH, facts.PORT_NAME, READINESS_PERIOD_SECONDS, READINESS_FAILURES),
        "livenessProbe": _probe(facts.HEALTH_PATH, facts.PORT_NAME, 10, 6),
        "resources": plan.resources.as_values(cpu_limit=facts.SERVER_CPU_LIMIT),
        "securityContext": restricted_container_security(facts.RUN_AS_USER),
        "volumeMounts": mounts,
    }


def _cloud_sql_proxy(plan: MlflowServerPlan, connection_name: Any) -> dict[str, Any]:
    """Private IP only (the instance has no public address); health checks for the kubelet's probes."""
    health = facts.CLOUD_SQL_PROXY_HEALTH_PORT
    container: dict[str, Any] = {
        "name": "cloud-sql-proxy",
        "image": facts.CLOUD_SQL_PROXY_IMAGE,
        "args": [
            "--private-ip",
            "--structured-logs",
            f"--port={facts.POSTGRES_PORT}",
            "--health-check",
            "--http-address=0.0.0.0",
            f"--http-port={health}",
            "--exit-zero-on-sigterm",
            connection_name,
        ],
        "ports": [{"name": "proxy-health", "containerPort": health, "protocol": "TCP"}],
        "startupProbe": _probe("/startup", health, 2, 30),
        "livenessProbe": _probe("/liveness", health, 10, 3),
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"cpu": facts.PROXY_CPU_LIMIT, "memory": "256Mi"},
        },
        "securityContext": restricted_container_security(facts.CLOUD_SQL_PROXY_USER),
    }
    if plan.kubernetes_minor >= facts.NATIVE_SIDECAR_MINOR:
        # A native sidecar: up before MLflow starts, down only after it stopped [K8S-SIDECAR].
        container["restartPolicy"] = "Always"
    return container


def deployment_manifest(plan: MlflowServerPlan, bucket: Any = "", connection_name: Any = "") -> dict[str, Any]:
    """`bucket` and `connection_name` (GKE; may be Outputs): the artifact bucket and the Cloud SQL
    instance's `<project>:<region>:<instance>`."""
    volumes: list[dict[str, Any]] = [{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}]
    if plan.auth:
        volumes.append(
            {
                "name": "auth-config",
                "secret": {
                    "secretName": AUTH_SECRET,
                    "items": [{"key": facts.AUTH_CONFIG_FILE, "path": facts.AUTH_CONFIG_FILE}],
                },
            }
        )
    if plan.store == "in-cluster":
        volumes.append({"name": "artifacts", "persistentVolumeClaim": {"claimName": ARTIFACTS_CLAIM}})
    server = _server(plan, artifacts_destination(plan, bucket))
    pod: dict[str, Any] = {
        "serviceAccountName": facts.NAME,
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": facts.RUN_AS_USER,
            "runAsGroup": facts.RUN_AS_USER,
            "fsGroup": facts.RUN_AS_USER,  # the artifact volume is writable by the server
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [server],
        "volumes": volumes,
        "terminationGracePeriodSeconds": 30,
    }
    if plan.store == "cloud-sql":
        proxy = _cloud_sql_proxy(plan, connection_name)
        if "restartPolicy" in proxy:
            pod["initContainers"] = [proxy]
        else:
            pod["containers"].append(proxy)
    if plan.replicas > 1:
        pod["topologySpreadConstraints"] = [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": plan.selector},
            }
        ]
    # One ReadWriteOnce artifact volume locally: the old pod lets go of it before the new one mounts it.
    strategy = (
        {"type": "Recreate"}
        if plan.store == "in-cluster"
        else {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    )
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(plan),
        "spec": {
            "replicas": plan.replicas,
            "selector": {"matchLabels": plan.selector},
            "revisionHistoryLimit": 5,
            "strategy": strategy,
            "template": {"metadata": {"labels": plan.labels}, "spec": pod},
        },
    }
