"""The `freshness` section of a catalogue entry: how old the served version may get before an alert.

Off by default (no maxAge): a model retrained on a schedule sets it, e.g. `maxAge: 30d`; the alert
`ModelVersionStale` fires when the version live in an environment was created longer ago than that
(the series come from `python -m ops metrics --push`, facts/delivery_metrics.py).
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from core.problems import Invalid
from core.spec import Spec

_AGE = re.compile(r"^(\d+)([hdw])$")
_SECONDS = {"h": 3600, "d": 86400, "w": 7 * 86400}


def age_seconds(text: str) -> int:
    match = _AGE.match(text)
    if not match:
        raise ValueError(f"not an age: {text!r}")
    return int(match.group(1)) * _SECONDS[match.group(2)]


class Freshness(Spec):
    max_age: str | None = Field(
        None, description="Alert when the served version is older than this (e.g. 30d, 12h, 2w); unset: no alert."
    )

    @field_validator("max_age")
    @classmethod
    def _age(cls, value: str | None) -> str | None:
        if value is not None and (not _AGE.match(value) or age_seconds(value) == 0):
            raise Invalid(f"{value!r} is not an age", "a number and h, d or w, e.g. 30d")
        return value

    @property
    def max_age_seconds(self) -> int | None:
        return age_seconds(self.max_age) if self.max_age else None
