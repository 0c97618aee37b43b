"""A stable fingerprint of plain data: equal for equal values in any process, different when any field differs.

For deciding that two computations would produce the same thing (program/preview_scope.py): a value whose
content cannot be read completely (an object with hidden state, a function) raises Unfingerprintable
rather than be guessed at, so a caller can fall back to doing the whole computation.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any


class Unfingerprintable(TypeError):
    pass


def canonical(value: Any) -> Any:
    """`value` as JSON data: dataclasses and pydantic models by their type and every field (not their repr,
    which may hide fields), mappings and sets sorted by the canonical text of their items (so no hash seed orders them)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)  # exact, and NaN/inf stay distinct from every number
    if isinstance(value, enum.Enum):
        return {"enum": type(value).__qualname__, "value": canonical(value.value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "type": f"{type(value).__module__}.{type(value).__qualname__}",
            "fields": {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)},
        }
    model_fields = getattr(type(value), "model_fields", None)
    if isinstance(model_fields, dict):  # a pydantic model (the catalogue's specs): every field, private ones too
        return {
            "type": f"{type(value).__module__}.{type(value).__qualname__}",
            "fields": {name: canonical(getattr(value, name)) for name in model_fields},
            "private": canonical(getattr(value, "__pydantic_private__", None)),
        }
    if isinstance(value, Mapping):
        items = [[canonical(k), canonical(v)] for k, v in value.items()]
        return {"mapping": sorted(items, key=lambda kv: _text(kv[0]))}
    if isinstance(value, set | frozenset):
        return {"set": sorted((canonical(v) for v in value), key=_text)}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, PurePath):
        return {"path": str(value)}
    raise Unfingerprintable(f"cannot fingerprint a {type(value).__module__}.{type(value).__qualname__}")


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def fingerprint(value: Any) -> str:
    """sha256 of the canonical text of `value`; raises Unfingerprintable (see canonical)."""
    return hashlib.sha256(_text(canonical(value)).encode()).hexdigest()
