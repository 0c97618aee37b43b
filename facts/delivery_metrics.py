"""Delivery-metric series: names and labels defined ONCE, for `python -m ops metrics --push` that writes
them to the Pushgateway, the stack's delivery dashboard and the freshness alert that read them.

Nothing exports these by itself: the platform computes them (ops/metrics/) from the registry's records
and Flagger's outcome counters, and pushes one group per environment. Series of the whole stack carry
no `model` label (select them with model=""); per-model series carry it.
"""

from __future__ import annotations

from facts.quality_metrics import MODEL_LABEL, Series

ENVIRONMENT_LABEL = "environment"
VERSION_LABEL = "version"
JOB = "mlops-delivery-metrics"  # the Pushgateway job; Prometheus keeps it as label `job` (honor_labels)

DEPLOYS_PER_WEEK = Series(
    "mlops_delivery_deploys_per_week", "gauge", (MODEL_LABEL, ENVIRONMENT_LABEL), "Deployments per week in the window."
)
LEAD_TIME_MEDIAN = Series(
    "mlops_delivery_lead_time_median_seconds",
    "gauge",
    (MODEL_LABEL, ENVIRONMENT_LABEL),
    "Median time from version creation to live, over the window.",
)
LEAD_TIME_P90 = Series(
    "mlops_delivery_lead_time_p90_seconds",
    "gauge",
    (MODEL_LABEL, ENVIRONMENT_LABEL),
    "90th percentile (nearest rank) of the time from version creation to live.",
)
CHANGE_FAILURE_RATE = Series(
    "mlops_delivery_change_failure_ratio",
    "gauge",
    (MODEL_LABEL, ENVIRONMENT_LABEL),
    "Share of the window's deployments that were rolled back or whose canary failed.",
)
TIME_TO_RESTORE = Series(
    "mlops_delivery_time_to_restore_median_seconds",
    "gauge",
    (MODEL_LABEL, ENVIRONMENT_LABEL),
    "Median time from a failed rollout or rollback to the next healthy deployment.",
)
SERVED_VERSION_CREATED = Series(
    "mlops_delivery_served_version_created_timestamp_seconds",
    "gauge",
    (MODEL_LABEL, ENVIRONMENT_LABEL, VERSION_LABEL),
    "Creation time (unix seconds) of the version served now: its age is time() minus this.",
)
MAX_AGE = Series(
    "mlops_delivery_served_version_max_age_seconds",
    "gauge",
    (MODEL_LABEL, ENVIRONMENT_LABEL),
    "The catalogue's freshness.maxAge of the model (only models that set one).",
)
COMPUTED_AT = Series(
    "mlops_delivery_metrics_computed_timestamp_seconds",
    "gauge",
    (ENVIRONMENT_LABEL,),
    "When these figures were computed (unix seconds).",
)

DELIVERY_SERIES: tuple[Series, ...] = (
    DEPLOYS_PER_WEEK,
    LEAD_TIME_MEDIAN,
    LEAD_TIME_P90,
    CHANGE_FAILURE_RATE,
    TIME_TO_RESTORE,
    SERVED_VERSION_CREATED,
    MAX_AGE,
    COMPUTED_AT,
)
