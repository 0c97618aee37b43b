"""Pure builders of the stack's delivery-metrics job: its ServiceAccount, the registry credentials Secret
(when its pods sign in: plan/registry_credentials.py) and the hourly CronJob, all in the monitoring namespace (plan/delivery_metrics.py).

The job is the platform's own monitoring (seconds of CPU an hour), labelled so the batch-on-spot
guardrail exempts it like the quality monitor. It needs no Kubernetes API: no token mounted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core import labels as L
from facts import mlflow_client_env as mlflow_env
from manifests.registry_credentials import credentials_env, credentials_secret_manifest
from manifests.security_context import restricted_container_security, restricted_pod_security
from plan.delivery_metrics import DeliveryMetricsPlan
from plan.registry_credentials import CREDENTIALS_SECRET

RUN_AS_USER = 1000  # the image's user (delivery_metrics/Dockerfile)


def _labels(plan: DeliveryMetricsPlan) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": plan.name,
        "app.kubernetes.io/instance": f"{plan.name}-{plan.environment}",
        "app.kubernetes.io/component": "delivery-metrics",
        "app.kubernetes.io/part-of": L.PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
        L.ENVIRONMENT: plan.environment,
        L.WORKLOAD: L.PLATFORM_MONITOR,
    }


def _metadata(plan: DeliveryMetricsPlan, name: str | None = None) -> dict:
    return {"name": name or plan.name, "namespace": plan.namespace, "labels": _labels(plan)}


def service_account_manifest(plan: DeliveryMetricsPlan) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _metadata(plan),
        "automountServiceAccountToken": False,
    }


def _secret_name(plan: DeliveryMetricsPlan) -> str:
    return f"{plan.name}-{CREDENTIALS_SECRET}"


def credentials_secret(plan: DeliveryMetricsPlan, values: Mapping[str, Any]) -> dict:
    """`values`: text or secret Pulumi Outputs, one per key the plan's credentials name; never unwrapped."""
    return credentials_secret_manifest(plan.registry_credentials, _metadata(plan, _secret_name(plan)), values)


def cronjob_manifest(plan: DeliveryMetricsPlan) -> dict:
    env: list[dict] = [
        {"name": mlflow_env.TRACKING_URI, "value": plan.tracking_uri},
        {"name": "HOME", "value": "/tmp"},
        *credentials_env(plan.registry_credentials, _secret_name(plan)),
    ]
    labels = _labels(plan)
    container = {
        "name": "metrics",
        "image": plan.image,
        "args": ["--stack", plan.stack, "--prometheus", plan.prometheus_url, "--push", plan.pushgateway_url],
        "env": env,
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "securityContext": restricted_container_security(RUN_AS_USER),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    pod_spec = {
        "serviceAccountName": plan.name,
        "automountServiceAccountToken": False,
        "restartPolicy": "Never",
        "securityContext": restricted_pod_security(RUN_AS_USER),
        "containers": [container],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": _metadata(plan),
        "spec": {
            "schedule": plan.schedule,
            "timeZone": "Etc/UTC",
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 600,
            "successfulJobsHistoryLimit": 1,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {
                "metadata": {"labels": labels},
                "spec": {
                    "backoffLimit": 1,
                    "activeDeadlineSeconds": 900,
                    "ttlSecondsAfterFinished": 3600,
                    "template": {"metadata": {"labels": labels}, "spec": pod_spec},
                },
            },
        },
    }
