"""The prediction sample: the record the serving runtime writes and the quality monitor reads back.

This is a contract between two programs of this repository that run in different images
(serving_runtime/ and quality_monitor/), so it is defined once here, with the standard library only,
and both images copy this package. Lines are written with orjson when it is installed (both images have
it) and with json otherwise: the same values either way.

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
from collections.abc import Sequence
from dataclasses import dataclass, fields
from types import ModuleType
from typing import Any

_orjson: ModuleType | None
try:
    # orjson writes a sample line in about a twentieth of json's time, and the serving runtime writes one per
    # sampled row in the worker that serves requests (docs/benchmarks.md). Both images install it (MLServer
    # depends on it; the monitor parses with it), but this package is the standard library only: without
    # orjson every line is json's, with the same values.
    import orjson as _orjson
except ImportError:
    _orjson = None

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
        # A shallow read of the fields, not dataclasses.asdict: asdict deep-copies every feature list.
        return sample_line(**{f.name: getattr(self, f.name) for f in _FIELDS})

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


def sample_line(
    time: float,
    model: str,
    version: str,
    request_id: str,
    row: int,
    features: Sequence[Any],
    prediction: Any,
    confidence: float | None = None,
    feature_names: Sequence[str] | None = None,
) -> str:
    """The log line (no newline) of one sample: PredictionSample(...).to_line() without building the
    PredictionSample, for the serving runtime's rows. The parameters are PredictionSample's fields, in order
    (to_line passes them by name), and the record's keys are the marker, then those. numpy scalars are written
    as their Python values (the runtime's rows may hold them), anything else json cannot write as its str().

    orjson writes the line when every value is a plain str, int, float, bool or None and its text reads back
    as json's would; json otherwise (and without orjson). Floats read back exactly either way: both write the
    shortest digits that give the float back (1e-07 and 1e-7 are one number)."""
    record = {
        SAMPLE_MARKER: SAMPLE_FORMAT,
        "time": time,
        "model": model,
        "version": version,
        "request_id": request_id,
        "row": row,
        "features": features,
        "prediction": prediction,
        "confidence": confidence,
        "feature_names": feature_names,
    }
    names = () if feature_names is None else feature_names
    if _orjson is not None and type(features) in _LISTS and type(names) in _LISTS:
        nones = _nones(features, (time, model, version, request_id, row, prediction, confidence), names)
        if nones is not None:
            line = _plain_line(_orjson, record, nones + (feature_names is None))
            if line is not None:
                return line
    return json_line(record)


# The types whose JSON orjson and json write with the same values. Anything else (numpy scalars, datetimes,
# enums, subclasses: orjson writes some natively, json through `default`) takes json's path.
_PLAIN = frozenset({str, int, float, bool, type(None)})
_LISTS = (list, tuple)  # both write a JSON array


def _nones(*groups: Sequence[Any]) -> int | None:
    """How many values of the groups are None, or None when some value is not of a _PLAIN type."""
    nones = 0
    for values in groups:
        kinds = set(map(type, values))  # one C-level pass: a row from numpy's tolist() is all float
        if not kinds <= _PLAIN:
            return None
        if type(None) in kinds:
            nones += values.count(None)
    return nones


def _plain_line(orjson: ModuleType, record: dict[str, Any], nones: int) -> str | None:
    """orjson's text of a record of plain values holding `nones` Nones, or None where it would not read back
    as json's text does."""
    try:
        line: bytes = orjson.dumps(record)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits
        return None
    # Every null orjson writes is a None, or a NaN or infinity (json writes NaN, Infinity): with as many nulls
    # as Nones there is neither. More (a "null" inside a text too) takes json's path. orjson writes text as
    # UTF-8, json as ASCII escapes: the same values, but a line stays ASCII as it always was.
    if line.count(b"null") != nones or not line.isascii():
        return None
    return line.decode()


def _python_value(value: Any) -> Any:
    """What json cannot write itself: a numpy scalar as its Python value, anything else as its str()."""
    return value.item() if hasattr(value, "item") else str(value)


def json_line(record: dict[str, Any]) -> str:
    """The standard library's text of a sample record: the reference the orjson path is held to."""
    return json.dumps(record, separators=(",", ":"), default=_python_value)


def class_label(value: Any) -> str:
    """A predicted or true class as text, the same on both sides: 1, 1.0 and numpy's 1 all read "1"."""
    if hasattr(value, "item"):
        value = value.item()  # a numpy scalar
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


# Environment of the serving container that the runtime reads (set by manifests/containers.py).
SAMPLE_RATE_ENV = "MLOPS_QUALITY_SAMPLE_RATE"  # fraction of prediction rows written as samples, 0..1
