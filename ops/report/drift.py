"""What a refresh found: which models' registry aliases moved away from the deployed version, and what
else drifted. ModelVersion.read() re-reads the deployed version's aliases (registry/provider.py), so an
alias that left it means the next `up` would deploy another version."""

from __future__ import annotations

from ops.automation.changes import ChangeLog
from ops.resource_types import DYNAMIC_TYPE


def drift_notes(log: ChangeLog) -> list[str]:
    notes = []
    for change in log.drift:
        before, after = change.old_outputs or {}, change.new_outputs
        if change.type == DYNAMIC_TYPE and "registered_model" in before:
            model, version = before.get("model", change.name), before.get("version", "?")
            if after is None:
                notes.append(f"model {model}: deployed v{version} is gone from the registry")
                continue
            gone = sorted(set(before.get("aliases") or []) - set(after.get("aliases") or []))
            came = sorted(set(after.get("aliases") or []) - set(before.get("aliases") or []))
            if gone:
                notes.append(f"model {model}: alias(es) {', '.join(gone)} moved away from deployed v{version}")
            if came:
                notes.append(f"model {model}: alias(es) {', '.join(came)} now point at deployed v{version}")
            others = [k for k in change.diffs if k != "aliases"]
            if others:
                notes.append(f"model {model}: {', '.join(others)} changed in the registry")
        else:
            what = "deleted outside Pulumi" if after is None else f"drifted: {', '.join(change.diffs) or 'outputs'}"
            notes.append(f"{change.type} {change.name}: {what}")
    return notes
