"""What a preview, up or refresh changed, collected from the engine's event stream.

The Automation API calls `on_event` with an `EngineEvent` for every step; `resource_pre_event.metadata`
carries the op, URN, type, the old state (inputs and outputs) and the new inputs, and the keys that
differ. These plain dataclasses keep what the report needs and round-trip through JSON, so a matrix
of CI jobs can each write its stack's changes and one final job can write the single comment.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pulumi.automation import EngineEvent
from pulumi.automation.events import StepEventMetadata

# Ops that remove what exists: the ones the protected-infrastructure guard looks at.
DESTRUCTIVE_OPS = ("delete", "replace", "create-replacement", "delete-replaced", "discard", "discard-replaced")
NO_CHANGE_OPS = ("same", "read", "refresh")


@dataclass(frozen=True)
class ResourceChange:
    op: str
    urn: str
    type: str
    old_inputs: dict[str, Any] | None = None
    old_outputs: dict[str, Any] | None = None
    new_inputs: dict[str, Any] | None = None
    new_outputs: dict[str, Any] | None = None  # refresh only: what the provider read back
    diffs: tuple[str, ...] = ()  # top-level keys that differ
    replace_keys: tuple[str, ...] = ()  # keys whose change forces the replacement

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    @classmethod
    def from_metadata(cls, meta: StepEventMetadata) -> ResourceChange:
        op = str(getattr(meta.op, "value", meta.op))
        # `keys` names what forces a replacement (the engine sets it for replace steps); detailedDiff
        # marks the same keys with a "*-replace" kind when the provider sent a detailed diff.
        detailed = meta.detailed_diff or {}
        replace_keys = {k for k, d in detailed.items() if str(d.diff_kind.value).endswith("-replace")}
        if op in ("replace", "create-replacement", "delete-replaced"):
            replace_keys |= set(meta.keys or ())
        return cls(
            op=op,
            urn=meta.urn,
            type=meta.type,
            old_inputs=dict(meta.old.inputs or {}) if meta.old else None,
            old_outputs=dict(meta.old.outputs or {}) if meta.old else None,
            new_inputs=dict(meta.new.inputs or {}) if meta.new else None,
            diffs=tuple(meta.diffs or ()),
            replace_keys=tuple(sorted(replace_keys)),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResourceChange:
        return cls(
            **{**data, "diffs": tuple(data.get("diffs", ())), "replace_keys": tuple(data.get("replace_keys", ()))}
        )


@dataclass(frozen=True)
class PolicyViolation:
    pack: str
    policy: str
    enforcement: str  # advisory | mandatory | remediate | disabled
    message: str
    urn: str = ""

    @property
    def blocking(self) -> bool:
        return self.enforcement == "mandatory"


@dataclass
class ChangeLog:
    """The `on_event` callback: collects changes, policy violations, errors and the engine's own summary."""

    changes: list[ResourceChange] = field(default_factory=list)
    violations: list[PolicyViolation] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    summary: dict[str, int] = field(default_factory=dict)
    drift: list[ResourceChange] = field(default_factory=list)  # refresh: resources whose live state moved
    refresh: bool = False  # a refresh: outputs events compare the state with what was read back

    def __call__(self, event: EngineEvent) -> None:
        if event.res_outputs_event is not None:
            if self.refresh:
                self._refreshed(event.res_outputs_event.metadata)
        elif event.resource_pre_event is not None:
            change = ResourceChange.from_metadata(event.resource_pre_event.metadata)
            if not any(c.urn == change.urn and c.op == change.op for c in self.changes):
                self.changes.append(change)
        elif event.policy_event is not None:
            p = event.policy_event
            self.violations.append(
                PolicyViolation(p.policy_pack_name, p.policy_name, p.enforcement_level, p.message, p.resource_urn or "")
            )
        elif event.diagnostic_event is not None and event.diagnostic_event.severity == "error":
            message = event.diagnostic_event.message.strip()
            if message not in self.errors:
                self.errors.append(message)
        elif event.summary_event is not None:
            self.summary = {
                str(getattr(k, "value", k)): int(v) for k, v in event.summary_event.resource_changes.items()
            }

    def reset(self) -> None:
        self.changes, self.violations, self.errors, self.summary, self.drift = [], [], [], {}, []

    def _refreshed(self, meta: StepEventMetadata) -> None:
        """A refresh step compares the state before (old) with what the provider read (new). The step's op
        is `refresh`; the engine derives update/delete/same from old and new (RefreshStep.ResultOp), so
        both spellings are accepted and the states themselves decide."""
        if meta.old is None:
            return
        before, after = meta.old.outputs or {}, (meta.new.outputs if meta.new else None)
        if after is not None and after == before:
            return
        changed = tuple(sorted(k for k in set(before) | set(after or {}) if before.get(k) != (after or {}).get(k)))
        self.drift.append(
            ResourceChange(
                op="delete" if after is None else "update",
                urn=meta.urn,
                type=meta.type,
                old_inputs=dict(meta.old.inputs or {}),
                old_outputs=dict(before),
                new_outputs=dict(after) if after is not None else None,
                diffs=changed,
            )
        )

    def counts(self) -> dict[str, int]:
        """Resources per op: the engine's summary when it sent one (it counts `same` too), else ours."""
        if self.summary:
            return dict(self.summary)
        counts: dict[str, int] = {}
        for change in self.changes:
            counts[change.op] = counts.get(change.op, 0) + 1
        return counts

    def changed(self) -> list[ResourceChange]:
        return [c for c in self.changes if c.op not in NO_CHANGE_OPS]

    def to_dict(self) -> dict[str, Any]:
        return {
            "changes": [asdict(c) for c in self.changes],
            "violations": [asdict(v) for v in self.violations],
            "errors": list(self.errors),
            "summary": dict(self.summary),
            "drift": [asdict(c) for c in self.drift],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChangeLog:
        return cls(
            changes=[ResourceChange.from_dict(c) for c in data.get("changes", [])],
            violations=[PolicyViolation(**v) for v in data.get("violations", [])],
            errors=list(data.get("errors", [])),
            summary=dict(data.get("summary", {})),
            drift=[ResourceChange.from_dict(c) for c in data.get("drift", [])],
        )
