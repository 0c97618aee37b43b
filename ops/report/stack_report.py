"""One stack's part of the pull-request report, as data: written by each CI matrix job as JSON, read
by the job that posts the single comment."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ops.automation.changes import ChangeLog


@dataclass(frozen=True)
class CostChange:
    """The monthly cost ceiling of a stack (computed by the guardrails code when present) and the base's."""

    ceiling: float
    previous: float | None = None
    currency: str = "USD"

    def describe(self) -> str:
        text = f"{self.currency} {self.ceiling:,.2f}/month"
        if self.previous is None:
            return f"{text} (no previous figure)"
        delta = self.ceiling - self.previous
        if delta == 0:
            return f"{text} (unchanged)"
        return f"{text} (was {self.previous:,.2f}, {delta:+,.2f})"


@dataclass
class StackReport:
    stack: str
    source: str  # "pulumi preview", or "offline render against registry snapshot <file>"
    exit_code: int
    log: ChangeLog
    messages: list[str] = field(default_factory=list)  # errors and refusals, as the command printed them
    notes: list[str] = field(default_factory=list)  # e.g. which versions were not re-resolved
    cost: CostChange | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "source": self.source,
            "exit_code": self.exit_code,
            "log": self.log.to_dict(),
            "messages": list(self.messages),
            "notes": list(self.notes),
            "cost": asdict(self.cost) if self.cost else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StackReport:
        return cls(
            stack=data["stack"],
            source=data.get("source", ""),
            exit_code=int(data.get("exit_code", 0)),
            log=ChangeLog.from_dict(data.get("log", {})),
            messages=list(data.get("messages", [])),
            notes=list(data.get("notes", [])),
            cost=CostChange(**data["cost"]) if data.get("cost") else None,
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> StackReport:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))


def load_costs(path: Path | None) -> dict[str, CostChange]:
    """`{"<stack>": {"ceiling": 1234.5, "previous": 1000, "currency": "USD"}}`, written by the cost step."""
    if path is None or not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {stack: CostChange(**value) for stack, value in data.items()}
