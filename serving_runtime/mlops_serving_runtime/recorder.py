"""Per-prediction quality signals: the confidence histogram, the prediction counter and the samples.

Kept apart from MLServer's classes so the logic is plain Python over numbers. The series names and
labels come from facts/quality_metrics.py, the one definition the canary, alerts and dashboards use.

Metrics go to prometheus_client's default registry, which is what MLServer's metrics endpoint serves:
with parallel workers (the default) MLServer points PROMETHEUS_MULTIPROC_DIR at its metrics directory
before the workers start, so values written here in a worker are collected by the endpoint's
MultiProcessCollector; without workers it serves the default registry directly
(mlserver/metrics/prometheus.py). The series are created lazily, at model load, as MLServer requires
for the multi-process value class to apply.
"""

from __future__ import annotations

import functools
import math
import random
import sys
import time
from collections import Counter as Tally
from collections.abc import Sequence
from typing import Any, TextIO

from prometheus_client import Counter, Histogram

from facts.quality_metrics import MODEL_LABEL, PREDICTION_CONFIDENCE, PREDICTIONS, RECORDS_DROPPED, VERSION_LABEL
from facts.quality_samples import PredictionSample, class_label

# Dense around the source documents' threshold (confidence >= 0.7); a binary classifier never goes below 0.5.
CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.99, 1.0)
# Every distinct predicted class is a series: past this many, further values count as "other".
MAX_CLASSES = 50
OTHER_CLASS = "other"


@functools.cache
def quality_series() -> tuple[Histogram, Counter, Counter]:
    """The serving-side series, registered once per process (a second registration would raise)."""
    confidence = Histogram(
        PREDICTION_CONFIDENCE.name,
        PREDICTION_CONFIDENCE.help,
        list(PREDICTION_CONFIDENCE.labels),
        buckets=CONFIDENCE_BUCKETS,
    )
    # prometheus_client adds the _total suffix of counters itself.
    predictions = Counter(PREDICTIONS.name.removesuffix("_total"), PREDICTIONS.help, list(PREDICTIONS.labels))
    dropped = Counter(RECORDS_DROPPED.name.removesuffix("_total"), RECORDS_DROPPED.help, list(RECORDS_DROPPED.labels))
    return confidence, predictions, dropped


def parse_sample_rate(text: str | None) -> float:
    """The sample rate from the environment; unset means no samples, anything invalid is an error."""
    if text is None or text == "":
        return 0.0
    rate = float(text)
    if math.isnan(rate) or not 0.0 <= rate <= 1.0:
        raise ValueError(f"sample rate {text!r} is not a fraction between 0 and 1")
    return rate


class QualityRecorder:
    """Records the quality signals of one served model version."""

    def __init__(
        self,
        model: str,
        version: str,
        *,
        sample_rate: float,
        classifier: bool,
        feature_names: Sequence[str] | None = None,
        rng: random.Random | None = None,
        out: TextIO | None = None,
    ):
        self.model, self.version = model, version
        self.sample_rate = sample_rate
        # Regressors predict continuous values: one series per value would explode, so only
        # classifiers (or discrete outputs) feed the prediction counter.
        self.classifier = classifier
        self.feature_names = list(feature_names) if feature_names else None
        self._rng = rng or random.Random()
        self._out = out
        self._seen_classes: set[str] = set()
        confidence, predictions, dropped = quality_series()
        self._confidence = confidence.labels(**{MODEL_LABEL: model, VERSION_LABEL: version})
        self._predictions = predictions
        self._dropped = dropped.labels(**{MODEL_LABEL: model, VERSION_LABEL: version})
        self._dropped.inc(0)  # exported from the start, so a rate() over it has a first point

    def _class(self, value: Any) -> str:
        label = class_label(value)
        if label in self._seen_classes:
            return label
        if len(self._seen_classes) >= MAX_CLASSES:
            return OTHER_CLASS
        self._seen_classes.add(label)
        return label

    def record(
        self,
        request_id: str,
        features: Sequence[Sequence[Any]] | None,
        predictions: Sequence[Any],
        probabilities: Sequence[Sequence[float]] | None = None,
        lines: list[str] | None = None,
    ) -> int:
        """Observes every row's confidence and class and writes the sampled rows; returns how many.
        With `lines`, the sampled rows' log lines are appended there for the caller to write in one go."""
        confidences: list[float | None] = [None] * len(predictions)
        if probabilities is not None:
            top = [float(max(row)) for row in probabilities]
            for value in top:
                self._confidence.observe(value)
            confidences = list(top)
        discrete = self.classifier or all(class_label(p).lstrip("-").isdigit() for p in predictions)
        if discrete:  # one update per class, not per row
            for label, count in Tally(self._class(p) for p in predictions).items():
                self._predictions.labels(
                    **{MODEL_LABEL: self.model, VERSION_LABEL: self.version, "predicted_class": label}
                ).inc(count)
        if features is None or self.sample_rate <= 0:
            return 0
        batch = lines if lines is not None else []
        written = len(batch)
        now = time.time()
        for row, (values, prediction, confidence) in enumerate(zip(features, predictions, confidences, strict=True)):
            if self._rng.random() >= self.sample_rate:
                continue
            sample = PredictionSample(
                time=now,
                model=self.model,
                version=self.version,
                request_id=request_id,
                row=row,
                features=[v.item() if hasattr(v, "item") else v for v in values],
                prediction=prediction.item() if hasattr(prediction, "item") else prediction,
                confidence=confidence,
                feature_names=self.feature_names,
            )
            batch.append(sample.to_line() + "\n")
        if lines is None:
            self.write(batch)
        return len(batch) - written

    def write(self, lines: list[str]) -> None:
        """One write and one flush for a whole batch of sample lines."""
        if lines:
            out = self._out or sys.stdout
            out.write("".join(lines))
            out.flush()

    def dropped(self, rows: int) -> None:
        """Counts rows served without their signals (the pending queue was full)."""
        self._dropped.inc(rows)
