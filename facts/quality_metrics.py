"""Model-quality series: the names and labels defined ONCE, for the serving runtime that exports them,
the drift/accuracy monitor, the canary MetricTemplates, the alerts and the dashboards.

No model server exports these by itself (MLServer, Triton and vLLM know nothing of confidence, drift or
accuracy): this project's own MLServer runtime and quality monitor produce them. Thresholds come from the
source documents (brief.md section 1): confidence >= 0.7, drift <= 0.3 in analysis and > 0.5 as a rollback
trigger, accuracy >= 0.85, rollback on accuracy < 0.8 or a drop of more than 5%.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MetricType = Literal["counter", "gauge", "histogram"]

# Every quality series carries these labels, so a query can select one model and tell versions apart
# (canary and primary pods serve different versions during a rollout).
MODEL_LABEL = "model"
VERSION_LABEL = "version"


@dataclass(frozen=True)
class Series:
    name: str  # the Prometheus name as scraped (a histogram adds _bucket, _sum and _count)
    type: MetricType
    labels: tuple[str, ...]
    help: str


PREDICTION_CONFIDENCE = Series(
    "model_prediction_confidence",
    "histogram",
    (MODEL_LABEL, VERSION_LABEL),
    "Top-class probability of each prediction (classifiers that return probabilities).",
)
PREDICTIONS = Series(
    "model_predictions_total",
    "counter",
    (MODEL_LABEL, VERSION_LABEL, "predicted_class"),
    "Predictions served, by predicted class: the prediction distribution.",
)
# The serving runtime's own health, not a quality signal (no canary check reads it, so not in QUALITY_SERIES):
# rows served while the recorder's bounded queue was full, whose confidence, class and sample were skipped.
RECORDS_DROPPED = Series(
    "model_quality_records_dropped_total",
    "counter",
    (MODEL_LABEL, VERSION_LABEL),
    "Prediction rows served without their quality signals: the recorder's bounded queue was full.",
)
FEATURE_DRIFT = Series(
    "model_feature_drift",
    "gauge",
    (MODEL_LABEL, VERSION_LABEL, "feature"),
    "Drift score of one input feature: recent sampled inputs against the training reference.",
)
DRIFT_SCORE = Series(
    "model_drift_score",
    "gauge",
    (MODEL_LABEL, VERSION_LABEL),
    "Overall drift score of the model's inputs (0 = same distribution as the reference).",
)
ACCURACY = Series(
    "model_accuracy",
    "gauge",
    (MODEL_LABEL, VERSION_LABEL),
    "Accuracy on labelled samples of recent predictions (only where a labels source is configured).",
)

QUALITY_SERIES: tuple[Series, ...] = (PREDICTION_CONFIDENCE, PREDICTIONS, FEATURE_DRIFT, DRIFT_SCORE, ACCURACY)
