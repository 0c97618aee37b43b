"""Pure builders of a model's quality monitor: a CronJob in the model's namespace, the ServiceAccount it
runs as, and a Role that lets it read the model pods' logs (where the runtime writes its samples).

The monitor's pods carry their own name and component labels, never the model's selector labels, so
the model's Service, HPA, PDB and NetworkPolicies never select them, and the monitor never reads its
own log as a model's.
"""

from __future__ import annotations

from core import labels as L
from facts import quality_monitor_env as env
from manifests.registry_credentials import credentials_env
from manifests.security_context import restricted_container_security, restricted_pod_security
from plan.quality_monitor import QualityMonitorPlan

RUN_AS_USER = 1000  # the image's user (quality_monitor/Dockerfile)
SERVER_CONTAINER = "server"  # the serving container's name (manifests/serving.py)


def _labels(plan: QualityMonitorPlan) -> dict[str, str]:
    serving = plan.serving
    return {
        **serving.labels,
        "app.kubernetes.io/name": plan.name,
        "app.kubernetes.io/instance": f"{serving.name}-{serving.environment}-monitor",
        "app.kubernetes.io/component": "quality-monitor",
        # Seconds of CPU every few minutes: it runs where the cluster has room (prod has no spot CPU pool),
        # so the batch-on-spot guardrail exempts it by this label.
        L.WORKLOAD: L.PLATFORM_MONITOR,
    }


def _metadata(plan: QualityMonitorPlan) -> dict:
    return {"name": plan.name, "namespace": plan.serving.namespace, "labels": _labels(plan)}


def service_account_manifest(plan: QualityMonitorPlan) -> dict:
    # The token is mounted in the CronJob's pods only (automountServiceAccountToken there): it is how
    # the monitor reads pod logs from the API server.
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _metadata(plan),
        "automountServiceAccountToken": False,
    }


def role_manifest(plan: QualityMonitorPlan) -> dict:
    """Read the model's pods and their logs, in the model's namespace only."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": _metadata(plan),
        "rules": [
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
            {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
        ],
    }


def role_binding_manifest(plan: QualityMonitorPlan) -> dict:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": _metadata(plan),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": plan.name},
        "subjects": [{"kind": "ServiceAccount", "name": plan.name, "namespace": plan.serving.namespace}],
    }


def _env(plan: QualityMonitorPlan) -> list[dict]:
    serving = plan.serving
    monitoring = serving.model.monitoring
    values = {
        env.MODEL: serving.name,
        env.REGISTERED_MODEL: serving.model.registered_model,
        env.TRACKING_URI: serving.tracking_uri,
        env.NAMESPACE: serving.namespace,
        env.POD_SELECTOR: ",".join(f"{k}={v}" for k, v in sorted(serving.selector.items())),
        env.CONTAINER: SERVER_CONTAINER,
        env.WINDOW_SECONDS: str(monitoring.window_seconds),
        env.MIN_SAMPLES: str(monitoring.min_samples),
        env.REFERENCE_ARTIFACT: monitoring.reference_artifact,
        env.PUSHGATEWAY_URL: plan.pushgateway_url,
        "HOME": "/tmp",  # the MLflow client writes caches under $HOME; the root filesystem is read-only
    }
    if monitoring.labels_source is not None:
        values[env.LABELS_URI] = monitoring.labels_source.uri
        values[env.MIN_LABELLED] = str(monitoring.labels_source.min_labelled)
    # The model's own registry credentials Secret, in the same namespace.
    return [{"name": k, "value": v} for k, v in values.items()] + credentials_env(serving.registry_credentials)


def cronjob_manifest(plan: QualityMonitorPlan) -> dict:
    monitoring = plan.serving.model.monitoring
    labels = _labels(plan)
    pod_spec = {
        "serviceAccountName": plan.name,
        "automountServiceAccountToken": True,
        "restartPolicy": "Never",
        "securityContext": restricted_pod_security(RUN_AS_USER),
        "containers": [
            {
                "name": "monitor",
                "image": plan.image,
                "env": _env(plan),
                "resources": {
                    "requests": {"cpu": "100m", "memory": "256Mi"},
                    "limits": {"cpu": "1", "memory": "1Gi"},
                },
                "securityContext": restricted_container_security(RUN_AS_USER),
                "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
            }
        ],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}],
    }
    # No nodeSelector or tolerations: the monitor needs no GPU, so it never takes the model's placement.
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": _metadata(plan),
        "spec": {
            "schedule": monitoring.drift_schedule,
            "timeZone": "Etc/UTC",
            # One run at a time; a run that could not start within its interval is skipped, not queued.
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 120,
            "successfulJobsHistoryLimit": 1,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {
                "metadata": {"labels": labels},
                "spec": {
                    "backoffLimit": 1,
                    "activeDeadlineSeconds": 600,
                    "ttlSecondsAfterFinished": 3600,
                    "template": {"metadata": {"labels": labels}, "spec": pod_spec},
                },
            },
        },
    }


def quality_monitor_manifests(plan: QualityMonitorPlan) -> list[dict]:
    """Every object of the model's monitor, ServiceAccount and RBAC before the CronJob."""
    return [service_account_manifest(plan), role_manifest(plan), role_binding_manifest(plan), cronjob_manifest(plan)]
