"""The base every typed spec derives from, and the translation of pydantic errors into Problems.

Specs are frozen (nothing downstream can mutate validated input), reject unknown keys (a typo is
an error, not a silently ignored setting) and are written camelCase in YAML, like Kubernetes and
Pulumi config, while Python code uses snake_case attributes.
"""

from __future__ import annotations

import difflib
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from core.problems import Problem


class Spec(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        validate_default=True,
    )


def allowed_keys(model: type[BaseModel]) -> list[str]:
    return sorted((f.alias or n) for n, f in model.model_fields.items())


def _model_at(model: type[BaseModel], path: tuple[Any, ...]) -> type[BaseModel] | None:
    """Walks a pydantic loc path through nested models, dicts and lists to the model it lands in."""
    current: Any = model
    for part in path:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for n, f in current.model_fields.items() if part in (n, f.alias)), None)
            if field is None:
                return None
            current = field.annotation
        else:
            # container types: list[X], dict[K, X], X | None -> descend into X
            args = [a for a in typing.get_args(current) if a is not type(None)]
            if not args:
                return None
            current = args[-1]
        while typing.get_origin(current) is typing.Union or type(current).__name__ == "UnionType":
            args = [a for a in typing.get_args(current) if a is not type(None)]
            current = args[0] if len(args) == 1 else current
            if len(args) != 1:
                break
    while not (isinstance(current, type) and issubclass(current, BaseModel)):
        args = [a for a in typing.get_args(current) if a is not type(None)]
        if not args:
            return None
        current = args[-1]
    return current


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def problems_from_validation_error(
    exc: ValidationError, source: str, model: type[BaseModel], prefix: str = ""
) -> list[Problem]:
    """One Problem per pydantic error, each with a fix a user can act on."""
    problems = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p and "]" in p))
        field = _dotted(((prefix,) if prefix else ()) + loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            parent = _model_at(model, loc[:-1])
            keys = allowed_keys(parent) if parent else []
            close = difflib.get_close_matches(str(loc[-1]), keys, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problems.append(Problem(source, field, "unknown key", f"{hint}remove it or use one of: {', '.join(keys)}"))
        elif kind == "missing":
            problems.append(Problem(source, field, "required key is missing", "add it"))
        elif kind in ("literal_error", "enum"):
            expected = err.get("ctx", {}).get("expected", "")
            problems.append(Problem(source, field, f"{err['input']!r} is not allowed", f"use one of {expected}"))
        else:
            message = err["msg"]
            if message.startswith("Value error, "):
                message = message[len("Value error, ") :]
            problem = Problem.from_text(source, field, message)
            if not problem.fix and (kind.endswith("_type") or kind.endswith("_parsing")):
                problem = Problem(
                    source, field, message, f"got {err.get('input')!r}; write a value of the expected type"
                )
            problems.append(problem)
    return problems
