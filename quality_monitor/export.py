"""The monitor's results as Prometheus series (names and labels from facts/quality_metrics.py).

Why a Pushgateway and not a scrape target: the monitor is a CronJob that lives for seconds every few
minutes, so Prometheus would rarely find it up to scrape. It pushes instead, with the Pushgateway's
PUT semantics: each run replaces the whole group of its model (job quality-monitor, grouping key
model=<name>), so a version that left the window disappears instead of keeping a stale value.
Prometheus scrapes the Pushgateway with honorLabels, which keeps the series' own model and version.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Gauge, generate_latest, push_to_gateway

from facts.quality_metrics import ACCURACY, DRIFT_SCORE, FEATURE_DRIFT, MODEL_LABEL, VERSION_LABEL, Series
from facts.quality_monitor_env import PUSH_JOB
from quality_monitor.drift import DriftResult
from quality_monitor.errors import PushFailed


@dataclass
class VersionQuality:
    version: str
    drift: DriftResult | None = None
    accuracy: float | None = None


@dataclass
class ModelQuality:
    model: str
    versions: list[VersionQuality] = field(default_factory=list)
    samples: int = 0  # samples of the model read in the window, every version


def _gauge(series: Series, registry: CollectorRegistry) -> Gauge:
    return Gauge(series.name, series.help, list(series.labels), registry=registry)


def quality_registry(result: ModelQuality) -> CollectorRegistry:
    registry = CollectorRegistry()
    feature_drift, drift_score, accuracy = (_gauge(s, registry) for s in (FEATURE_DRIFT, DRIFT_SCORE, ACCURACY))
    for version in result.versions:
        labels = {MODEL_LABEL: result.model, VERSION_LABEL: version.version}
        if version.drift is not None:
            drift_score.labels(**labels).set(version.drift.score)
            for feature in version.drift.features:
                feature_drift.labels(**labels, feature=feature.feature).set(feature.score)
        if version.accuracy is not None:
            accuracy.labels(**labels).set(version.accuracy)
    return registry


def exposition(result: ModelQuality) -> str:
    """The text the monitor pushes (Prometheus exposition format)."""
    return generate_latest(quality_registry(result)).decode()


PUSH_TIMEOUT_SECONDS = 10.0  # a Pushgateway that accepts the connection and never answers must not hang the job


def push(result: ModelQuality, gateway_url: str, timeout: float = PUSH_TIMEOUT_SECONDS) -> None:
    """PUTs the model's group; a gateway that is down, slow or refusing is one PushFailed, nothing half-pushed
    (a PUT replaces the group in one request, so a failed one leaves the previous values)."""
    try:
        push_to_gateway(
            gateway_url,
            job=PUSH_JOB,
            grouping_key={MODEL_LABEL: result.model},
            registry=quality_registry(result),
            timeout=timeout,
        )
    except OSError as error:  # refused, unreachable, timed out, or an HTTP error status (prometheus_client's IOError)
        reason = getattr(error, "reason", None) or error
        raise PushFailed(
            f"{result.model}: could not push to the Pushgateway at {gateway_url} ({reason}); nothing was pushed, "
            "it keeps the values of the last successful run"
        ) from None
