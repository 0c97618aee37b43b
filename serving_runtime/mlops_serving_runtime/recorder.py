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

import numpy as np
from prometheus_client import Counter, Histogram

from facts.quality_metrics import MODEL_LABEL, PREDICTION_CONFIDENCE, PREDICTIONS, RECORDS_DROPPED, VERSION_LABEL
from facts.quality_samples import class_label, sample_line

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


def top_class(probabilities: Any) -> np.ndarray | None:
    """Each row's confidence: its largest class probability (None without probabilities)."""
    if probabilities is None:
        return None
    array = np.asarray(probabilities, dtype=float)
    if array.size == 0:
        return np.empty(0)
    return array.reshape(len(array), -1).max(axis=1)


def _all_whole(predictions: Sequence[Any] | np.ndarray) -> bool:
    """Integer-like outputs (a regressor or pyfunc returning class ids) are counted like classes."""
    return all(class_label(p).lstrip("-").isdigit() for p in predictions)


def _bulk_parts(child: Any) -> tuple[np.ndarray, list[Any], Any] | None:
    """The histogram child's bucket bounds, bucket values and sum value (prometheus_client 0.21's
    Histogram: _upper_bounds, _buckets, _sum), so a batch is one increment per bucket instead of one
    observe() per row; None if this prometheus_client keeps them otherwise."""
    bounds, buckets, total = (getattr(child, a, None) for a in ("_upper_bounds", "_buckets", "_sum"))
    if not isinstance(bounds, list) or not isinstance(buckets, list) or len(bounds) != len(buckets):
        return None
    if not all(hasattr(v, "inc") for v in [*buckets, total]):
        return None
    return np.asarray(bounds, dtype=float), buckets, total


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
        self._bulk = _bulk_parts(self._confidence)

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
        confidences = top_class(probabilities)
        self.observe([(predictions, confidences)])
        return self.sample(request_id, features, predictions, confidences, lines)

    def observe(self, batch: Sequence[tuple[Sequence[Any] | np.ndarray, np.ndarray | None]]) -> None:
        """The metrics of a batch of requests, each (its predictions, its rows' confidences or None), in
        one update per series: one bulk histogram update, one counter increment per class. The values are
        those of observing every row in turn (the sum may differ in its last bits: it is added at once)."""
        observed = [c for _, c in batch if c is not None and len(c)]
        if observed:
            self._observe_confidences(np.concatenate(observed) if len(observed) > 1 else observed[0])
        discrete = [p for p, _ in batch if len(p) and (self.classifier or _all_whole(p))]
        if not discrete:
            return
        for label, count in self._class_counts(discrete).items():
            self._predictions.labels(
                **{MODEL_LABEL: self.model, VERSION_LABEL: self.version, "predicted_class": label}
            ).inc(count)

    def _observe_confidences(self, values: np.ndarray) -> None:
        if self._bulk is None:  # prometheus_client without the internals the bulk update writes
            for value in values.tolist():
                self._confidence.observe(value)
            return
        bounds, buckets, total = self._bulk
        # Histogram.observe puts a value in the first bucket whose bound is >= it: searchsorted's "left".
        index = np.searchsorted(bounds, values, side="left")
        counts = np.bincount(index[index < len(bounds)], minlength=len(bounds))  # NaN: no bucket, as observe
        total.inc(float(values.sum()))
        for i in np.flatnonzero(counts).tolist():
            buckets[i].inc(int(counts[i]))

    def _class_counts(self, predictions: Sequence[Sequence[Any] | np.ndarray]) -> dict[str, int]:
        """Rows per class label over the batch, labels registered in order of first appearance (as row by
        row would): one class_label per distinct value, not per row, when every request's predictions are
        plain numbers or text of one dtype (concatenating mixed dtypes would change values: 3 -> "3.0")."""
        arrays = [np.asarray(p) for p in predictions]
        if (
            len({a.dtype for a in arrays}) == 1
            and arrays[0].dtype.kind in "biufUS"
            and all(a.ndim == 1 for a in arrays)
        ):
            flat = np.concatenate(arrays) if len(arrays) > 1 else arrays[0]
            values, first, counts = np.unique(flat, return_index=True, return_counts=True)
            tally: dict[str, int] = {}
            for i in np.argsort(first, kind="stable").tolist():
                label = self._class(values[i])
                tally[label] = tally.get(label, 0) + int(counts[i])
            return tally
        return dict(Tally(self._class(p) for rows in predictions for p in rows))

    def sample(
        self,
        request_id: str,
        features: Sequence[Sequence[Any]] | None,
        predictions: Sequence[Any] | np.ndarray,
        confidences: np.ndarray | Sequence[float | None] | None,
        lines: list[str] | None = None,
    ) -> int:
        """Writes the sampled rows of one request (or appends their lines to `lines`); returns how many."""
        if features is None or self.sample_rate <= 0:
            return 0
        if confidences is None:
            confidences = [None] * len(predictions)
        elif isinstance(confidences, np.ndarray):
            confidences = confidences.tolist()
        if isinstance(predictions, np.ndarray):
            predictions = predictions.tolist()
        batch = lines if lines is not None else []
        written = len(batch)
        now, model, version, names = time.time(), self.model, self.version, self.feature_names
        for row, (values, prediction, confidence) in enumerate(zip(features, predictions, confidences, strict=True)):
            if self._rng.random() >= self.sample_rate:
                continue
            if type(values) not in (list, tuple):  # a row of a numpy array: its numpy scalars
                values = list(values)
            # Rows from numpy's tolist() (the runtime's) go orjson's way; sample_line writes numpy scalars as
            # their Python values itself, so there is no conversion per value here.
            batch.append(
                sample_line(now, model, version, request_id, row, values, prediction, confidence, names) + "\n"
            )
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
