"""Model version changes read from ModelVersion steps: `churn-prediction v6 -> v7, accuracy 0.91 -> 0.93, gate passed`.

The ModelVersion dynamic resource (registry/provider.py) resolves its selector in check(), so a preview's
new inputs already carry `version`, `metrics` and `gate` (Verdict.to_dict); the old state has what is
deployed now. Nothing here calls the registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ops.automation.changes import ResourceChange
from ops.resource_types import DYNAMIC_TYPE

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's marker for a value known only after apply
MAX_METRICS = 4


@dataclass(frozen=True)
class MetricDelta:
    name: str
    old: float | None
    new: float | None

    def describe(self) -> str:
        if self.old is None or self.new is None:
            return f"{self.name} {_num(self.old) if self.old is not None else 'new'} → {_num(self.new)}"
        if self.old == self.new:
            return f"{self.name} {_num(self.new)}"
        return f"{self.name} {_num(self.old)} → {_num(self.new)} ({self.new - self.old:+.4g})"


@dataclass(frozen=True)
class ModelVersionChange:
    model: str
    op: str
    old_version: str
    new_version: str
    metrics: tuple[MetricDelta, ...]
    verdict: str  # passed | bypassed (pinned) | refused | unknown
    reasons: tuple[str, ...] = ()

    def version_text(self) -> str:
        old = f"v{self.old_version}" if self.old_version else "none"
        new = "known after apply" if self.new_version in ("", UNKNOWN) else f"v{self.new_version}"
        if self.op == "delete":
            return f"{old} → removed"
        return new if old == new else f"{old} → {new}"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def _version(state: dict[str, Any] | None) -> str:
    value = (state or {}).get("version")
    return "" if value in (None, "") else str(value)


def _verdict(gate: Any) -> tuple[str, tuple[str, ...]]:
    if not isinstance(gate, dict) or "passed" not in gate:
        return "unknown", ()
    reasons = tuple(str(r) for r in gate.get("reasons") or ())
    if gate.get("bypassed"):
        return "bypassed (pinned)", reasons
    return ("passed" if gate.get("passed") else "refused"), reasons


def _metrics(old: dict, new: dict) -> tuple[MetricDelta, ...]:
    names = sorted(set(old) | set(new))
    moved = [n for n in names if old.get(n) != new.get(n)]
    chosen = (moved + [n for n in names if n not in moved])[:MAX_METRICS]
    return tuple(MetricDelta(n, _float(old.get(n)), _float(new.get(n))) for n in sorted(chosen))


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def is_model_version(change: ResourceChange) -> bool:
    state = change.new_inputs or change.old_inputs or change.old_outputs or {}
    return change.type == DYNAMIC_TYPE and "registered_model" in state


def model_version_changes(changes: list[ResourceChange]) -> list[ModelVersionChange]:
    """One row per ModelVersion whose version moves, appears or goes; sorted by model."""
    rows = []
    for change in changes:
        if not is_model_version(change):
            continue
        old_state = change.old_outputs or change.old_inputs or {}
        new_state = change.new_inputs or {}
        old_version, new_version = _version(old_state), _version(new_state)
        if change.op == "same" or (change.op not in ("create", "delete") and old_version == new_version):
            continue
        gate = new_state.get("gate")
        verdict, reasons = _verdict(gate)
        rows.append(
            ModelVersionChange(
                model=str(new_state.get("model") or old_state.get("model") or change.name),
                op=change.op,
                old_version=old_version,
                new_version=new_version,
                metrics=_metrics(dict(old_state.get("metrics") or {}), dict(new_state.get("metrics") or {})),
                verdict=verdict if change.op != "delete" else "—",
                reasons=reasons,
            )
        )
    return sorted(rows, key=lambda r: r.model)
