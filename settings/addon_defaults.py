"""Per-environment profiles of the `addons` stack key: small and disposable locally, highly available
with durable storage in prod. A stack's `addons:` value is laid over its environment's profile, field by
field, before settings.addons validates the result.
"""

from __future__ import annotations

from typing import Any


def _resources(cpu: str, memory: str) -> dict[str, str]:
    return {"cpu": cpu, "memory": memory}


ENVIRONMENT_DEFAULTS: dict[str, dict[str, Any]] = {
    "local": {
        "monitoring": {
            "enabled": True,
            "retention": "2d",
            "storageSize": None,
            "prometheusReplicas": 1,
            "prometheusResources": _resources("100m", "512Mi"),
            "alertmanagerReplicas": 1,
            "alertmanagerResources": _resources("10m", "64Mi"),
            "operatorResources": _resources("50m", "128Mi"),
        },
        "flagger": {
            "enabled": True,
            "replicas": 1,
            "resources": _resources("10m", "64Mi"),
            "loadtesterResources": _resources("10m", "64Mi"),
        },
        "keda": {"enabled": True, "replicas": 1, "resources": _resources("50m", "128Mi")},
    },
    "dev": {
        "monitoring": {
            "enabled": True,
            "retention": "7d",
            "storageSize": "20Gi",
            "prometheusReplicas": 1,
            "prometheusResources": _resources("250m", "1Gi"),
            "alertmanagerReplicas": 1,
            "alertmanagerResources": _resources("10m", "64Mi"),
            "operatorResources": _resources("100m", "128Mi"),
        },
        "flagger": {
            "enabled": True,
            "replicas": 1,
            "resources": _resources("10m", "64Mi"),
            "loadtesterResources": _resources("10m", "64Mi"),
        },
        "keda": {"enabled": True, "replicas": 1, "resources": _resources("100m", "128Mi")},
    },
    "staging": {
        "monitoring": {
            "enabled": True,
            "retention": "15d",
            "storageSize": "50Gi",
            "prometheusReplicas": 1,
            "prometheusResources": _resources("500m", "2Gi"),
            "alertmanagerReplicas": 1,
            "alertmanagerResources": _resources("10m", "128Mi"),
            "operatorResources": _resources("100m", "256Mi"),
        },
        "flagger": {
            "enabled": True,
            "replicas": 1,
            "resources": _resources("50m", "128Mi"),
            "loadtesterResources": _resources("50m", "128Mi"),
        },
        "keda": {"enabled": True, "replicas": 1, "resources": _resources("100m", "256Mi")},
    },
    "prod": {
        "monitoring": {
            "enabled": True,
            "retention": "30d",
            "storageSize": "100Gi",
            "prometheusReplicas": 2,
            "prometheusResources": _resources("1", "4Gi"),
            "alertmanagerReplicas": 2,
            "alertmanagerResources": _resources("50m", "128Mi"),
            "operatorResources": _resources("200m", "256Mi"),
        },
        "flagger": {
            "enabled": True,
            "replicas": 2,
            "resources": _resources("100m", "128Mi"),
            "loadtesterResources": _resources("100m", "256Mi"),
        },
        "keda": {"enabled": True, "replicas": 2, "resources": _resources("200m", "256Mi")},
    },
}


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        return {**base, **{k: _merge(base.get(k), v) for k, v in override.items()}}
    return override


def with_environment_defaults(environment: str, cluster_mode: str, raw: Any) -> Any:
    """The stack's `addons:` value laid over its environment's profile (keys as written in YAML).
    The traffic layer defaults to what the cluster can run: GKE's Gateway on GKE, none elsewhere.
    Anything that is not a mapping is returned as is, for the model to reject with its own message."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict) or environment not in ENVIRONMENT_DEFAULTS:
        return raw
    layer = "none" if cluster_mode == "kubeconfig" else "gke-gateway"
    return _merge({**ENVIRONMENT_DEFAULTS[environment], "traffic": {"layer": layer}}, raw)
