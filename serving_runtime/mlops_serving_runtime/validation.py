"""Requests the model cannot serve get a 4xx with the reason, never a 500 (issue 20).

MLServer already answers 422 for what its REST layer refuses (a body that is not JSON, a V2 payload
without `inputs`, an unknown datatype; JSON has no NaN or infinity literals, so those are refused there
too). What reaches the runtime and used to end in a 500 (the model's own exception) is refused here
with InferenceError (400), or MLServerError with 413 when the request is too large. MLServer 1.7.1 has
no request-body limit, so the bound is on the values a request declares: the body has been parsed by
then, which is why the Gateway in front should limit bodies too (docs/quality-signals.md).
A refused request raises before the model is called and before anything is recorded: MLServer counts it
in model_infer_request_failure, and confidence, prediction counts and samples do not see it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from mlserver.errors import InferenceError, MLServerError
from mlserver.types import InferenceRequest

MAX_VALUES_ENV = "MLOPS_MAX_REQUEST_VALUES"
# 250,000 numbers: 12,500 rows of 20 features, about 5 MB of JSON. A 10 MB body of numbers is refused.
DEFAULT_MAX_VALUES = 250_000
PAYLOAD_TOO_LARGE = 413


def parse_max_values(text: str | None) -> int:
    if not text:
        return DEFAULT_MAX_VALUES
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{MAX_VALUES_ENV}={text!r} is not a positive whole number of values")
    return int(text)


def expected_width(signature: Any) -> int | None:
    """The feature count a single-tensor signature declares ((-1, 20) -> 20); None when it declares none."""
    inputs = getattr(signature, "inputs", None)
    if inputs is None or not getattr(inputs, "is_tensor_spec", lambda: False)():
        return None
    specs = inputs.inputs
    if len(specs) != 1:
        return None
    shape = tuple(specs[0].shape)
    return shape[1] if len(shape) == 2 and shape[1] > 0 else None


def _count(data: Any) -> int:
    """Leaf values of a V2 tensor's data (flat in practice; nested lists are allowed by the protocol)."""
    values = getattr(data, "root", data)
    if not isinstance(values, list):
        return 1
    if not values or not isinstance(values[0], list):  # flat, as MLServer's codecs send it: no per-value loop
        return len(values)
    return sum(_count(v) if isinstance(v, list) else 1 for v in values)


def check_request(payload: InferenceRequest, model: str, max_values: int, width: int | None) -> None:
    declared = 0
    for tensor in payload.inputs:
        shape = list(tensor.shape)
        if any(not isinstance(d, int) or d < 0 for d in shape):
            raise InferenceError(
                f"{model}: input {tensor.name!r} has shape {shape}: dimensions must be whole numbers >= 0"
            )
        size = math.prod(shape)
        declared += size
        if declared > max_values:
            raise MLServerError(
                f"{model}: the request declares more than {max_values} values (input {tensor.name!r} has shape "
                f"{shape}): send fewer rows per request (limit {MAX_VALUES_ENV})",
                PAYLOAD_TOO_LARGE,
            )
        count = _count(tensor.data)
        if count != size:
            raise InferenceError(f"{model}: input {tensor.name!r} has {count} values, its shape {shape} needs {size}")
        if width is not None and len(payload.inputs) == 1 and len(shape) == 2 and shape[1] != width:
            raise InferenceError(
                f"{model}: input {tensor.name!r} has {shape[1]} features per row (shape {shape}), "
                f"the model takes {width}"
            )


def refused(model: str, error: Exception) -> InferenceError:
    """The model's or the decoder's own refusal of the request's values, as a 400 with its reason."""
    reason = str(error).strip() or type(error).__name__
    if len(reason) > 500:
        reason = reason[:500] + "..."
    return InferenceError(f"{model}: the request's values do not fit the model: {reason}")


def check_finite(decoded: Any, model: str) -> None:
    """Refuses NaN and infinity in float inputs. They arrive as strings ("NaN", "inf") in a float tensor,
    which MLServer decodes into floats; some estimators (sklearn's forests since 1.4) would then serve a
    prediction for them and the quality signals would record it as if it were data."""
    array = decoded
    if hasattr(decoded, "select_dtypes"):  # a pandas DataFrame: its float columns
        array = decoded.select_dtypes(include="floating").to_numpy()
    if not isinstance(array, np.ndarray) or array.dtype.kind != "f" or array.size == 0:
        return
    bad = ~np.isfinite(array)
    if bad.any():
        rows = np.unique(np.nonzero(bad.reshape(len(bad), -1) if bad.ndim > 1 else bad)[0])
        shown = ", ".join(str(r) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
        raise InferenceError(f"{model}: the request holds NaN or infinity (rows {shown}): send finite numbers only")
