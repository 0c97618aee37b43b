"""Kubeconfig stacks' online store: one Redis pod behind a Service, password from the same Secret the
feature server reads. Its data lives in an emptyDir: the online store holds only what materialisation
copies from the offline data, so a restart costs a re-run of `feast materialize`, never data."""

from __future__ import annotations

from facts.feast import LOCAL_REDIS_IMAGE, LOCAL_REDIS_USER, PASSWORD_ENV, REDIS_PORT
from manifests.security_context import restricted_container_security
from plan.feature_store import PASSWORD_KEY, PASSWORD_SECRET, REDIS_NAME, FeatureStorePlan

COMPONENT = "online-store"


def redis_selector() -> dict[str, str]:
    return {"app.kubernetes.io/name": REDIS_NAME, "app.kubernetes.io/component": COMPONENT}


def redis_deployment_manifest(plan: FeatureStorePlan) -> dict:
    container = {
        "name": "redis",
        "image": LOCAL_REDIS_IMAGE,
        # $(VAR) is expanded by the kubelet from the container's env: the password never enters the manifest.
        "command": ["redis-server", "--requirepass", f"$({PASSWORD_ENV})", "--dir", "/data", "--appendonly", "no"],
        "env": [{"name": PASSWORD_ENV, "valueFrom": {"secretKeyRef": {"name": PASSWORD_SECRET, "key": PASSWORD_KEY}}}],
        "ports": [{"name": "redis", "containerPort": REDIS_PORT, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
        "readinessProbe": {"tcpSocket": {"port": "redis"}, "periodSeconds": 10},
        "livenessProbe": {"tcpSocket": {"port": "redis"}, "periodSeconds": 20, "failureThreshold": 3},
        "securityContext": restricted_container_security(LOCAL_REDIS_USER),
        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": plan.metadata(REDIS_NAME, COMPONENT),
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": redis_selector()},
            "strategy": {"type": "Recreate"},
            "template": {
                "metadata": {"labels": plan.metadata(REDIS_NAME, COMPONENT)["labels"]},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": LOCAL_REDIS_USER,
                        "runAsGroup": LOCAL_REDIS_USER,
                        "fsGroup": LOCAL_REDIS_USER,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container],
                    "volumes": [{"name": "data", "emptyDir": {"sizeLimit": "1Gi"}}],
                },
            },
        },
    }


def redis_service_manifest(plan: FeatureStorePlan) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": plan.metadata(REDIS_NAME, COMPONENT),
        "spec": {
            "type": "ClusterIP",
            "selector": redis_selector(),
            "ports": [{"name": "redis", "port": REDIS_PORT, "targetPort": "redis", "protocol": "TCP"}],
        },
    }
