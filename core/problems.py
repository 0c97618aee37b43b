"""One error type for every bad input: stack config, catalogue entries, registry answers.

A run collects *all* problems before it stops, so a user fixes a broken file in one pass,
and each problem names where it is (file), what is wrong (field) and what to do (fix).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    source: str  # the file (or registry) the bad value came from, e.g. "models/churn-prediction.yaml"
    field: str  # dotted path of the offending key, e.g. "environments.prod.alias"; "" for the whole file
    message: str  # what is wrong
    fix: str = ""  # what the user should do about it

    def __str__(self) -> str:
        where = f"{self.source}: {self.field}" if self.field else self.source
        text = f"{where}: {self.message}"
        return f"{text} (fix: {self.fix})" if self.fix else text


@dataclass(frozen=True)
class Finding:
    """What a pure check found wrong, before the caller knows where (file and field) it came from."""

    message: str
    fix: str = ""

    def at(self, source: str, field: str) -> Problem:
        return Problem(source, field, self.message, self.fix)

    def __str__(self) -> str:
        return f"{self.message} (fix: {self.fix})" if self.fix else self.message


class Invalid(ValueError):
    """A validator's refusal with its fix. Pydantic keeps the exception in the error's context, so
    problems_from_validation_error turns it into a Problem with message and fix kept apart."""

    def __init__(self, message: str, fix: str = ""):
        self.finding = Finding(message, fix)
        super().__init__(str(self.finding))


class ConfigError(Exception):
    """Raised with every problem found, never just the first."""

    def __init__(self, problems: list[Problem]):
        if not problems:
            raise ValueError("ConfigError needs at least one problem")
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ProblemCollector:
    """Accumulates problems across files, then raises once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, source: str, field: str, message: str, fix: str = "") -> None:
        self.problems.append(Problem(source, field, message, fix))

    def extend(self, problems: list[Problem]) -> None:
        self.problems.extend(problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise ConfigError(self.problems)
