"""Defensive reading of MLflow answers: every body is checked for the shape the client relies on, so a
login page, a proxy's error page, truncated or foreign JSON becomes one UnexpectedAnswer naming what came
back (its first bytes, never a whole page) instead of a KeyError deep in the resolution."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from registry.errors import UnexpectedAnswer

SNIPPET_BYTES = 120
BROWSER_FIX = (
    "point mlflowTrackingUri (or env MLFLOW_TRACKING_URI) at the MLflow server itself, e.g. "
    "https://mlflow.example.com: not a page copied from the browser, a login page or a proxy in front of it"
)


@dataclass(frozen=True)
class RawAnswer:
    """One HTTP answer, read completely within its deadline."""

    status: int
    content_type: str
    body: bytes


def snippet(body: bytes) -> str:
    """The first bytes of an answer, on one line, for a message."""
    text = body[:SNIPPET_BYTES].decode("utf-8", errors="replace")
    text = " ".join(text.split())
    return repr(text + ("..." if len(body) > SNIPPET_BYTES else ""))


def decode(answer: RawAnswer, *, registry: str, request: str) -> dict[str, Any]:
    """The JSON object of a successful answer, or UnexpectedAnswer."""
    if not answer.body:
        return {}
    what = f"{request} answered HTTP {answer.status} ({answer.content_type or 'no content type'})"
    try:
        payload = json.loads(answer.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        looks_html = "html" in answer.content_type or answer.body.lstrip()[:1] == b"<"
        kind = "an HTML page, not MLflow JSON" if looks_html else "a body that is not (complete) JSON"
        raise UnexpectedAnswer(
            f"{what} with {kind}; it begins {snippet(answer.body)}", registry=registry, fix=BROWSER_FIX
        ) from None
    if not isinstance(payload, dict):
        raise UnexpectedAnswer(
            f"{what} with JSON that is not an object; it begins {snippet(answer.body)}",
            registry=registry,
            fix=BROWSER_FIX,
        )
    return payload


def error_payload(answer: RawAnswer) -> dict[str, str]:
    """MLflow's {error_code, message} of a 4xx answer; {} when the body is something else."""
    try:
        payload = json.loads(answer.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    if not isinstance(payload, dict):
        return {}
    return {k: str(payload[k]) for k in ("error_code", "message") if isinstance(payload.get(k), (str, int))}


SHAPE_FIX = "check that the tracking URI reaches an MLflow server (2.x or later) and not something in front of it"


def _shape_error(problem: str, value: Any, *, registry: str, request: str) -> UnexpectedAnswer:
    shown = snippet(json.dumps(value, default=str).encode())
    return UnexpectedAnswer(f"{request} answered {problem}; it begins {shown}", registry=registry, fix=SHAPE_FIX)


def expect(payload: dict[str, Any], key: str, kind: type, *, registry: str, request: str) -> Any:
    """payload[key] when it is a `kind`; UnexpectedAnswer naming the key otherwise."""
    value = payload.get(key)
    if isinstance(value, kind) and not isinstance(value, bool):
        return value
    raise _shape_error(f"without a valid '{key}' ({kind.__name__})", payload, registry=registry, request=request)


def version_object(value: Any, *, registry: str, request: str) -> dict[str, Any]:
    """A model version as the resolution reads it: a mapping with a version number and list-shaped
    tags and aliases; the version number as text."""
    problem = ""
    if not isinstance(value, dict):
        problem = "a model version that is not an object"
    elif not isinstance(value.get("version"), (str, int)) or isinstance(value.get("version"), bool):
        problem = "a model version without a version number"
    elif any(key in value and not isinstance(value[key], list) for key in ("tags", "aliases")):
        problem = "a model version whose tags or aliases are not lists"
    if problem:
        raise _shape_error(problem, value, registry=registry, request=request)
    return {**value, "version": str(value["version"])}


def version_list(values: Any, *, registry: str, request: str) -> list[dict[str, Any]]:
    if not isinstance(values, list):
        raise _shape_error("a list of model versions that is not a list", values, registry=registry, request=request)
    return [version_object(v, registry=registry, request=request) for v in values]


def tags_of(obj: dict) -> dict[str, str]:
    """MLflow sends tags as [{"key": k, "value": v}]; a dict is what every caller wants. Entries of
    another shape are skipped (a gate on a missing tag then says so)."""
    tags = obj.get("tags") or []
    return {
        str(t["key"]): str(t.get("value", ""))
        for t in (tags if isinstance(tags, list) else [])
        if isinstance(t, dict) and "key" in t
    }


def metrics_of(run: dict) -> dict[str, float]:
    """The latest value of each metric of a runs/get answer; entries of another shape are skipped."""
    data = run.get("data") if isinstance(run, dict) else None
    metrics = data.get("metrics") if isinstance(data, dict) else None
    out = {}
    for m in metrics if isinstance(metrics, list) else []:
        if isinstance(m, dict) and "key" in m:
            try:
                out[str(m["key"])] = float(m["value"])
            except (KeyError, TypeError, ValueError):
                continue
    return out
