"""The labels every model object carries, in one place so selectors, dashboards and policies agree."""

from __future__ import annotations

PART_OF = "mlops-platform"
MODEL = "mlops.platform/model"
MODEL_VERSION = "mlops.platform/model-version"
ENVIRONMENT = "mlops.platform/environment"
TEAM = "mlops.platform/team"
# What a workload is for, where a policy must tell them apart: the platform's own short monitoring jobs
# (the quality monitor) are not the training/batch compute that guardrails send to spot capacity.
WORKLOAD = "mlops.platform/workload"
PLATFORM_MONITOR = "platform-monitor"


def selector_labels(model: str, environment: str) -> dict[str, str]:
    """Stable labels: a Deployment selector is immutable, so nothing that changes per release goes here."""
    return {
        "app.kubernetes.io/name": model,
        "app.kubernetes.io/instance": f"{model}-{environment}",
    }


def model_labels(model: str, environment: str, team: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Labels for every object of a model's serving stack."""
    return {
        **(extra or {}),
        **selector_labels(model, environment),
        "app.kubernetes.io/component": "model-server",
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
        MODEL: model,
        ENVIRONMENT: environment,
        TEAM: team,
    }


def versioned_labels(base: dict[str, str], version: str) -> dict[str, str]:
    """Pod-template labels: the model version is stamped here, so a new version rolls the pods."""
    return {**base, "app.kubernetes.io/version": version, MODEL_VERSION: version}
