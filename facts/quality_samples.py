"""The prediction sample: the record the serving runtime writes and the quality monitor reads back.

This is a contract between two programs of this repository that run in different images
(serving_runtime/ and quality_monitor/), so it is defined once here, with the standard library only,
and both images copy this package.

How samples travel: the runtime writes each sampled prediction row as one JSON object on one line of
its stdout (the container log). The monitor reads the model pods' logs back through the Kubernetes API
(`pods/log` with `sinceSeconds` = the drift window) and keeps the lines that carry `SAMPLE_MARKER`.
Every other log line is ignored. See docs/quality-signals.md.

The training reference travels with the model version: the training run logs it as an MLflow artifact
at `DEFAULT_REFERENCE_ARTIFACT` (a CSV whose header names the features in the model's input order, no
label column), and the monitor downloads it from the run that produced the deployed version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

SAMPLE_MARKER = "mlops_prediction_sample"  # key present (value = SAMPLE_FORMAT) on every sample line
SAMPLE_FORMAT = 1
DEFAULT_REFERENCE_ARTIFACT = "reference/reference.csv"


@dataclass(frozen=True)
class PredictionSample:
    time: float  # unix seconds when the prediction was served
    model: str
    version: str
    request_id: str  # the inference request's id (MLServer returns it as the response id)
    row: int  # the row's index in its request: (request_id, row) identifies one prediction
    features: list[Any]  # the row's input values, in the model's input order
    prediction: Any  # the served output of that row (a class label for classifiers)
    confidence: float | None = None  # top-class probability, when the model gives probabilities
    feature_names: list[str] | None = None  # from the model signature, when it names its inputs

    def to_line(self) -> str:
        # A shallow dict, not dataclasses.asdict: asdict deep-copies every feature list, which made this
        # the serving runtime's most expensive call per sampled row (docs/benchmarks.md).
        record = {SAMPLE_MARKER: SAMPLE_FORMAT, **{f.name: getattr(self, f.name) for f in _FIELDS}}
        return json.dumps(record, separators=(",", ":"), default=str)

    @classmethod
    def from_line(cls, line: str) -> PredictionSample | None:
        """The sample on this log line, or None for any other line (plain logs, other JSON)."""
        start = line.find("{")
        if start < 0 or SAMPLE_MARKER not in line:
            return None
        try:
            record = json.loads(line[start:])
        except ValueError:
            return None
        if not isinstance(record, dict) or record.pop(SAMPLE_MARKER, None) != SAMPLE_FORMAT:
            return None
        try:
            return cls(**record)
        except TypeError:
            return None


_FIELDS = fields(PredictionSample)


def class_label(value: Any) -> str:
    """A predicted or true class as text, the same on both sides: 1, 1.0 and numpy's 1 all read "1"."""
    if hasattr(value, "item"):
        value = value.item()  # a numpy scalar
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


# Environment of the serving container that the runtime reads (set by manifests/containers.py).
SAMPLE_RATE_ENV = "MLOPS_QUALITY_SAMPLE_RATE"  # fraction of prediction rows written as samples, 0..1
