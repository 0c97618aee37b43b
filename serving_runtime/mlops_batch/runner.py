"""Score a file of records in chunks with an MLflow model; write results, rejects and a summary."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from mlops_batch.records import Accepted, Columns, InputError, Rejected, csv_records, jsonl_records
from mlops_batch.storage import Output, open_input

RESULTS, REJECTS, SUMMARY = "results.csv", "rejects.csv", "summary.json"
# MLflow DataType names -> how a field is parsed.
_KINDS = {"double": "float", "float": "float", "integer": "int", "long": "int", "boolean": "bool", "string": "str"}


@dataclass
class Summary:
    input: str
    output: str
    model_uri: str
    rows: int = 0  # records read
    scored: int = 0
    failures: int = 0  # records rejected (unreadable, not matching the inputs, or refused by predict)
    chunks: int = 0
    duration_seconds: float = 0.0
    started_at: str = ""
    finished_at: str = ""
    failure_reasons: dict[str, int] = field(default_factory=dict)  # first word(s) of the reason -> count

    @property
    def failure_fraction(self) -> float:
        return self.failures / self.rows if self.rows else 0.0


def model_columns(model: Any) -> tuple[Columns, str]:
    """The record layout the model's signature asks for, and how predict takes it ("frame" | "tensor")."""
    schema = model.metadata.get_input_schema()
    if schema is None:
        raise InputError("the model has no input signature: log it with one (mlflow.models.infer_signature)")
    if schema.is_tensor_spec():
        spec = schema.inputs[0]
        shape = tuple(spec.shape)
        if len(schema.inputs) != 1 or len(shape) != 2 or shape[1] < 1:
            raise InputError(f"the batch runner scores 2-D tensor inputs (rows x features); the model takes {shape}")
        kind = "int" if spec.type.kind in "iu" else "bool" if spec.type.kind == "b" else "float"
        return Columns(tuple(f"input-{i}" for i in range(shape[1])), (kind,) * shape[1]), "tensor"
    names, kinds = [], []
    for column in schema.inputs:
        kind = _KINDS.get(getattr(column.type, "name", ""))
        if kind is None:
            raise InputError(f"input {column.name!r} has type {column.type}, which the batch runner cannot read")
        names.append(column.name)
        kinds.append(kind)
    return Columns(tuple(names), tuple(kinds)), "frame"


def _records(stream, columns: Columns, fmt: str, layout: str) -> Iterator[Accepted | Rejected]:
    if fmt == "jsonl":
        return jsonl_records(stream, columns)
    if layout == "tensor":
        # A tensor has no names: the CSV's columns in file order are the features.
        return csv_records(_renamed_header(stream, columns), columns)
    return csv_records(stream, columns)


def _renamed_header(stream, columns: Columns) -> Iterator[str]:
    header = next(iter(stream), "")
    if header:
        found = next(csv.reader([header]))
        yield ",".join(columns.names) if len(found) == len(columns.names) else header
    yield from stream


def _frame(rows: list[tuple], columns: Columns, layout: str, model: Any):
    import numpy as np
    import pandas as pd

    if layout == "tensor":
        return np.asarray(rows, dtype=model.metadata.get_input_schema().inputs[0].type)
    return pd.DataFrame(rows, columns=list(columns.names))


def _as_rows(predictions: Any, count: int) -> tuple[list[str], list[list[Any]]]:
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        return [str(c) for c in predictions.columns], predictions.to_numpy().tolist()
    array = np.asarray(predictions)
    if array.shape[:1] != (count,):
        raise ValueError(f"predict returned {array.shape[:1]} rows for {count}")
    if array.ndim == 1:
        return ["prediction"], [[v] for v in array.tolist()]
    flat = array.reshape(count, -1)
    return [f"prediction_{i}" for i in range(flat.shape[1])], flat.tolist()


class _Writers:
    def __init__(self, output: Output):
        self._results_file = output.path(RESULTS).open("w", newline="", encoding="utf-8")
        self._rejects_file = output.path(REJECTS).open("w", newline="", encoding="utf-8")
        self.results = csv.writer(self._results_file)
        self.rejects = csv.writer(self._rejects_file)
        self.rejects.writerow(["record", "reason", "raw"])
        self.header: list[str] | None = None

    def result(self, numbers: list[int], names: list[str], rows: list[list[Any]]) -> None:
        if self.header is None:
            self.header = ["record", *names]
            self.results.writerow(self.header)
        self.results.writerows([n, *row] for n, row in zip(numbers, rows, strict=True))

    def close(self) -> None:
        if self.header is None:
            self.results.writerow(["record", "prediction"])
        self._results_file.close()
        self._rejects_file.close()


def _score_chunk(model, chunk: list[Accepted], columns: Columns, layout: str, writers: _Writers, summary: Summary):
    try:
        names, rows = _as_rows(model.predict(_frame([a.values for a in chunk], columns, layout, model)), len(chunk))
        writers.result([a.number for a in chunk], names, rows)
        summary.scored += len(chunk)
        return
    except Exception:
        pass
    for record in chunk:
        try:
            names, rows = _as_rows(model.predict(_frame([record.values], columns, layout, model)), 1)
        except Exception as err:
            _reject(
                Rejected(record.number, f"predict: {type(err).__name__}: {err}"[:500], repr(record.values)),
                writers,
                summary,
            )
            continue
        writers.result([record.number], names, rows)
        summary.scored += 1


def _reject(rejected: Rejected, writers: _Writers, summary: Summary) -> None:
    writers.rejects.writerow([rejected.number, rejected.reason, rejected.raw])
    summary.failures += 1
    key = rejected.reason.split(":", 1)[0][:60]
    summary.failure_reasons[key] = summary.failure_reasons.get(key, 0) + 1


def _chunks(records: Iterable[Accepted | Rejected], size: int, writers: _Writers, summary: Summary):
    chunk: list[Accepted] = []
    for record in records:
        summary.rows += 1
        if isinstance(record, Rejected):
            _reject(record, writers, summary)
            continue
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def input_format(uri: str, declared: str = "auto") -> str:
    if declared != "auto":
        return declared
    lowered = uri.lower()
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if lowered.endswith(".csv"):
        return "csv"
    raise InputError(f"cannot tell the format of {uri!r} from its name: pass --format csv or jsonl")


def score(
    model: Any, input_uri: str, output: Output, *, chunk_rows: int, fmt: str = "auto", model_uri: str = ""
) -> Summary:
    """Streams `input_uri` through `model` and writes results, rejects and the summary into `output`."""
    fmt = input_format(input_uri, fmt)
    columns, layout = model_columns(model)
    summary = Summary(input=input_uri, output=output.uri, model_uri=model_uri)
    summary.started_at = datetime.now(UTC).isoformat(timespec="seconds")
    start = time.monotonic()
    writers = _Writers(output)
    try:
        with open_input(input_uri) as stream:
            for chunk in _chunks(_records(stream, columns, fmt, layout), chunk_rows, writers, summary):
                _score_chunk(model, chunk, columns, layout, writers, summary)
                summary.chunks += 1
    finally:
        writers.close()
    summary.duration_seconds = round(time.monotonic() - start, 3)
    summary.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
    output.path(SUMMARY).write_text(
        json.dumps({**asdict(summary), "failure_fraction": summary.failure_fraction}, indent=2)
    )
    return summary
