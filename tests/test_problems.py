"""One problem type: what validators and checks raise or return keeps message and fix apart all the way
to the Problem a user reads; nothing is parsed back out of text."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import StringConstraints, ValidationError, field_validator, model_validator

from core.problems import Finding, Invalid, Problem
from core.spec import Spec, located, pattern_in_words, problems_from_validation_error, raise_located

Word = Annotated[str, StringConstraints(pattern=r"^[a-z]+$"), pattern_in_words(r"^[a-z]+$", "lowercase letters")]


class Example(Spec):
    name: Word = "ok"
    size: int = 1
    low: int = 0
    high: int = 0

    @field_validator("size")
    @classmethod
    def _size(cls, value: int) -> int:
        if value == 13:
            raise Invalid("13 is unlucky (fix: this text is not parsed)", "pick 12 or 14")
        return value

    @model_validator(mode="after")
    def _order(self):
        if self.high < self.low:
            raise_located("Example", [located(("high",), "is below low", "raise high"), located(("low",), "too", "")])
        return self


def problems(data: dict) -> list[Problem]:
    with pytest.raises(ValidationError) as raised:
        Example.model_validate(data)
    return problems_from_validation_error(raised.value, "example.yaml", Example)


def test_a_validators_refusal_keeps_message_and_fix_apart():
    (problem,) = problems({"size": 13})
    assert problem == Problem("example.yaml", "size", "13 is unlucky (fix: this text is not parsed)", "pick 12 or 14")


def test_cross_key_findings_land_on_their_keys():
    assert problems({"low": 5, "high": 1}) == [
        Problem("example.yaml", "high", "is below low", "raise high"),
        Problem("example.yaml", "low", "too", ""),
    ]


def test_a_pattern_is_refused_in_words():
    (problem,) = problems({"name": "Big"})
    assert problem == Problem("example.yaml", "name", "'Big' is not lowercase letters", "write lowercase letters")


def test_a_finding_is_placed_by_its_caller():
    finding = Finding("no GPU pool fits", "add one")
    assert finding.at("models/x.yaml", "serving.gpu") == Problem(
        "models/x.yaml", "serving.gpu", *vars(finding).values()
    )
    assert str(finding) == "no GPU pool fits (fix: add one)"
