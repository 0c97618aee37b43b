"""Records from a CSV (with header) or JSON-lines stream, one at a time, checked against the model's inputs.

A record that cannot be scored (wrong field count, a missing, empty or non-numeric value, broken JSON)
becomes a `Rejected` carrying its record number, the reason and its raw text; it never stops the run.
Record numbers count data records from 1 (a CSV header is not a record), so results and rejects can be
joined back to the input.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

RAW_LIMIT = 2000  # characters of a rejected record kept in the rejects file


@dataclass(frozen=True)
class Columns:
    """What one record must hold: the input names in order and, per name, the type to parse to."""

    names: tuple[str, ...]
    kinds: tuple[str, ...]  # "float" | "int" | "bool" | "str", one per name


@dataclass(frozen=True)
class Accepted:
    number: int
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Rejected:
    number: int
    reason: str
    raw: str


def _parse(value: Any, kind: str) -> Any:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        raise ValueError("empty value")
    if kind == "str":
        return str(value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise ValueError(f"{value!r} is not a boolean")
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    number = int(value) if kind == "int" else float(value)
    if kind == "float" and not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _checked(number: int, fields: list[Any], columns: Columns, raw: str) -> Accepted | Rejected:
    if len(fields) != len(columns.names):
        return Rejected(number, f"{len(fields)} fields, expected {len(columns.names)}", raw[:RAW_LIMIT])
    values = []
    for name, kind, value in zip(columns.names, columns.kinds, fields, strict=True):
        try:
            values.append(_parse(value, kind))
        except (TypeError, ValueError) as err:
            return Rejected(number, f"{name}: {err}", raw[:RAW_LIMIT])
    return Accepted(number, tuple(values))


def csv_records(stream: IO[str], columns: Columns) -> Iterator[Accepted | Rejected]:
    """The header must name the model's inputs (any order); fields are mapped to the model's order."""
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        return
    header = [h.strip() for h in header]
    missing = [n for n in columns.names if n not in header]
    if missing:
        raise InputError(f"the CSV header lacks the model's inputs {missing} (header: {header[:10]})")
    order = [header.index(n) for n in columns.names]
    for number, row in enumerate(reader, start=1):
        raw = ",".join(row)
        if len(row) != len(header):
            yield Rejected(number, f"{len(row)} fields, the header has {len(header)}", raw[:RAW_LIMIT])
            continue
        yield _checked(number, [row[i] for i in order], columns, raw)


def jsonl_records(stream: IO[str], columns: Columns) -> Iterator[Accepted | Rejected]:
    """One JSON object per line, keyed by input name; blank lines are skipped, not counted."""
    number = 0
    for line in stream:
        if not line.strip():
            continue
        number += 1
        raw = line.rstrip("\n")
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            yield Rejected(number, f"not JSON: {err.msg}", raw[:RAW_LIMIT])
            continue
        if not isinstance(record, dict):
            yield Rejected(number, "not a JSON object", raw[:RAW_LIMIT])
            continue
        missing = [n for n in columns.names if n not in record]
        if missing:
            yield Rejected(number, f"missing {missing[:5]}", raw[:RAW_LIMIT])
            continue
        yield _checked(number, [record[n] for n in columns.names], columns, raw)


class InputError(Exception):
    """The input as a whole cannot be read (not one bad record): the run stops with this message."""
