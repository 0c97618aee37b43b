"""The base every typed spec derives from, and the translation of pydantic errors into Problems.

Specs are frozen (nothing downstream can mutate validated input), reject unknown keys (a typo is
an error, not a silently ignored setting) and are written camelCase in YAML, like Kubernetes and
Pulumi config, while Python code uses snake_case attributes.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import InitErrorDetails, PydanticCustomError

from core.problems import Finding, Invalid, Problem


class Spec(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        validate_default=True,
    )


def pattern_in_words(pattern: str, words: str) -> BeforeValidator:
    """Refuses a string not matching `pattern` with `words` (what a user understands) instead of the
    regular expression. Put it after StringConstraints(pattern=...): it runs first, and the pattern
    stays in the JSON schema for editors."""
    regex = re.compile(pattern)

    def check(value: Any) -> Any:
        if isinstance(value, str) and not regex.search(value):
            raise Invalid(f"{value!r} is not {words}", f"write {words}")
        return value

    return BeforeValidator(check)


@dataclass(frozen=True)
class Located:
    """A finding of a cross-key check, on the key to change (camelCase path from the model it is raised in)."""

    loc: tuple[str | int, ...]
    finding: Finding


def located(loc: tuple[str | int, ...], message: str, fix: str = "") -> Located:
    return Located(loc, Finding(message, fix))


def raise_located(title: str, found: Sequence[Located]) -> None:
    """Raise every finding at once as one pydantic ValidationError, each on its own key, from inside a
    model validator; problems_from_validation_error gives each its Problem with message and fix."""
    if found:
        raise ValidationError.from_exception_data(
            title,
            [
                InitErrorDetails(
                    type=PydanticCustomError(
                        "invalid_entry", "{message}", {"message": f.finding.message, "fix": f.finding.fix}
                    ),
                    loc=f.loc,
                    input=None,
                )
                for f in found
            ],
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
            args = [a for a in typing.get_args(current) if a not in (type(None), Ellipsis)]
            if not args:
                return None
            current = args[-1]
        while typing.get_origin(current) is typing.Union or type(current).__name__ == "UnionType":
            args = [a for a in typing.get_args(current) if a not in (type(None), Ellipsis)]
            current = args[0] if len(args) == 1 else current
            if len(args) != 1:
                break
    while not (isinstance(current, type) and issubclass(current, BaseModel)):
        args = [a for a in typing.get_args(current) if a not in (type(None), Ellipsis)]
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
        elif kind == "invalid_entry":
            problems.append(Problem(source, field, err["ctx"]["message"], err["ctx"]["fix"]))
        elif isinstance(err.get("ctx", {}).get("error"), Invalid):
            problems.append(err["ctx"]["error"].finding.at(source, field))
        else:
            problems.append(Problem(source, field, *_plain_words(kind, err)))
    return problems


def _plain_words(kind: str, err: Any) -> tuple[str, str]:
    """(message, fix) for pydantic's own checks, in the user's terms instead of the validator's."""
    ctx = err.get("ctx", {})
    got = err.get("input")
    shown = repr(got) if len(repr(got)) <= 60 else repr(got)[:57] + "..."
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"{shown} is not {_expected(kind)}", f"write {_expected(kind)}"
    bounds = {
        "greater_than_equal": ("at least", "ge"),
        "greater_than": ("more than", "gt"),
        "less_than_equal": ("at most", "le"),
        "less_than": ("less than", "lt"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        limit = ctx.get(key)
        return f"{got} is out of range: it must be {words} {limit}", f"write a value {words} {limit}"
    if kind == "string_pattern_mismatch":
        return f"{got!r} does not have the expected form", f"write a value matching {ctx.get('pattern')}"
    if kind in ("string_too_short", "too_short"):
        if got in ("", [], ()):
            return "is empty", "give it a value"
        return f"{shown} is too short", f"give at least {ctx.get('min_length')}"
    if kind in ("string_too_long", "too_long"):
        return f"{str(got)[:40]!r} is too long", f"keep it to at most {ctx.get('max_length')}"
    message = err["msg"].removeprefix("Value error, ")
    return message, "see docs/catalogue.md or docs/stacks-and-settings.md for what this key accepts"


def _expected(kind: str) -> str:
    names = {"int": "a whole number", "float": "a number", "bool": "true or false", "string": "text"}
    names.update(
        {"list": "a list", "tuple": "a list", "dict": "a mapping", "model": "a mapping", "dataclass": "a mapping"}
    )
    return names.get(kind.split("_")[0], "a value of the expected type")
