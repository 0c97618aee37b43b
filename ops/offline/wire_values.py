"""Values in Pulumi's wire format as the offline engine records them: secrets wrapped, numbers as doubles.
Helpers to reveal them for checks (unwrap), to mask them for anything written or printed (mask), and to
give numbers back the form the program wrote (as_written)."""

from __future__ import annotations

from typing import Any

from pulumi.runtime import rpc


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def unwrap(value: Any) -> Any:
    """Plain values, secrets revealed: for validating, never for writing."""
    if is_secret(value):
        return unwrap(value["value"])
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def as_written(value: Any) -> Any:
    """Numbers as the program wrote them. Pulumi's wire format has only doubles, so 8080 arrives as
    8080.0; every integral float becomes an int again, so a render (and a GitOps repository) shows
    `containerPort: 8080` as kubectl would. A non-integral float (0.9) stays as it is."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: as_written(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_written(v) for v in value]
    return value


def mask(value: Any, placeholder: str = "[secret]", _in_secret: bool = False) -> Any:
    """Plain values with every secret replaced: what may be written to disk or printed. A secret map or
    list keeps its shape and only its values become the placeholder: Pulumi marks the whole `stringData`
    of a Secret secret when one value in it is, and `stringData: '[secret]'` is not a valid Secret (the
    API server wants a map), while `stringData: {auth: '[secret]'}` is, and says which keys it holds."""
    if is_secret(value):
        return mask(value["value"], placeholder, _in_secret=True)
    if isinstance(value, dict):
        return {k: mask(v, placeholder, _in_secret) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, placeholder, _in_secret) for v in value]
    return placeholder if _in_secret else value
