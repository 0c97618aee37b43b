"""What a rule reports: a Finding from a check, a Violation once the rule and its level are known."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["mandatory", "advisory", "disabled"]


@dataclass(frozen=True)
class Finding:
    """One thing a check found wrong with one resource."""

    resource: str  # Subject.label: "Deployment <namespace>/<name>" or "<type token> <logical name>"; "stack" for the whole stack
    message: str  # what is wrong
    fix: str  # what to do about it


@dataclass(frozen=True)
class Violation:
    rule: str  # rule id, e.g. "gpu-limit-per-container"
    level: Level  # mandatory violations stop the render and the preview; advisory ones are reported
    resource: str
    message: str
    fix: str

    @property
    def mandatory(self) -> bool:
        return self.level == "mandatory"

    def __str__(self) -> str:
        return f"[{self.level}] {self.rule}: {self.resource}: {self.message} (fix: {self.fix})"
