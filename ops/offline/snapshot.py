"""A registry snapshot: the model versions a stack serves, so a render needs no registry.

Its source is the stack's last `models` output (`python -m ops snapshot --stack S` in a trusted job,
which has credentials) or any file of the same shape. Rendering with it resolves nothing: each
ModelVersion takes the snapshot's version (or the catalogue's pin), and `SnapshotResolver.notes()`
says so per model, so the report can state which versions were not re-resolved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from core.problems import ConfigError, Problem
from ops.offline.dynamic_runner import PROVIDER_KEY, run_dynamic

UNRESOLVED = "unresolved"  # the version a model absent from the snapshot is rendered with (a valid label value)


@dataclass(frozen=True)
class RegistrySnapshot:
    source: str  # the file, for messages
    stack: str
    taken_at: str
    models: dict[str, dict[str, Any]]  # model -> the stack's `models` output entry (version, gate, ...)

    def to_dict(self) -> dict[str, Any]:
        return {"stack": self.stack, "takenAt": self.taken_at, "models": self.models}


def snapshot_from_outputs(stack: str, outputs: dict[str, Any]) -> RegistrySnapshot:
    models = outputs.get("models") or {}
    return RegistrySnapshot("stack outputs", stack, datetime.now(UTC).isoformat(timespec="seconds"), dict(models))


def load_snapshot(path: Path) -> RegistrySnapshot:
    """Reads `{"stack", "takenAt", "models": {...}}` or a bare `models` output; one ConfigError for every problem."""
    source = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            [
                Problem(
                    source, "", "no such file", "download the snapshot the trusted job published, or run ops snapshot"
                )
            ]
        ) from None
    except json.JSONDecodeError as exc:
        raise ConfigError([Problem(source, "", f"not JSON: {exc}", "write the snapshot as JSON")]) from None
    document = data if isinstance(data, dict) and "models" in data else {"models": data}
    models = document.get("models")
    problems = []
    if not isinstance(models, dict):
        problems.append(
            Problem(
                source,
                "models",
                "must be a mapping of model name to entry",
                'write {"models": {"<model>": {"version": "7"}}}',
            )
        )
        models = {}
    for name, entry in models.items():
        if not isinstance(entry, dict) or str(entry.get("version") or "").strip() == "":
            problems.append(
                Problem(source, f"models.{name}.version", "missing", "each model needs the version its stack serves")
            )
    if problems:
        raise ConfigError(problems)
    return RegistrySnapshot(source, str(document.get("stack", "")), str(document.get("takenAt", "")), models)


@dataclass
class SnapshotResolver:
    """Answers for ModelVersion dynamic resources from a snapshot (engine.DynamicResolver)."""

    snapshot: RegistrySnapshot
    resolved: dict[str, str] = field(default_factory=dict)  # model -> its version and how it was chosen

    def __call__(self, inputs: dict, config: dict[str, str], preview: bool) -> tuple[str, dict]:
        if "registered_model" not in inputs:
            return run_dynamic(inputs, config, preview)  # not a ModelVersion: the real provider
        model, selector = str(inputs.get("model", "")), inputs.get("selector") or {}
        entry = self.snapshot.models.get(model)
        if "version" in selector:
            version = str(int(float(selector["version"])))
            how = f"v{version} (pinned: no registry needed)"
        elif entry is not None:
            version, how = str(entry["version"]), f"v{entry['version']} (from the snapshot, not re-resolved)"
        else:
            version, how = UNRESOLVED, f"absent from the snapshot, rendered as version `{UNRESOLVED}`"
        self.resolved[model] = how
        if "version" in selector:  # a pin bypasses the gates, as the real provider's verdict says
            gate: dict[str, Any] = {"passed": True, "bypassed": True, "reasons": [f"pinned to version {version}"]}
        else:
            gate = dict((entry or {}).get("gate") or {})
        outputs = {k: v for k, v in inputs.items() if k != PROVIDER_KEY}
        outputs.update(
            version=version,
            run_id="",
            source="",
            created_at="",
            metrics=dict(gate.get("candidate_metrics") or {}),
            tags={},
            gate=gate,
            previous_version="",
            artifact_uri="",
            aliases=[],
        )
        return f"{inputs.get('registered_model')}@{inputs.get('environment')}", outputs

    def notes(self, now: datetime | None = None) -> list[str]:
        when = f" taken {self.snapshot.taken_at}" if self.snapshot.taken_at else ""
        head = f"Model versions come from the registry snapshot {self.snapshot.source}{when}; none was re-resolved against the live registry:"
        return [age_note(self.snapshot, now or datetime.now(UTC)), head] + [
            f"`{model}`: {how}" for model, how in sorted(self.resolved.items())
        ]


# snapshot.yml publishes every 6 hours and after every deployment: 4 missed runs make a snapshot stale.
STALE_AFTER = timedelta(hours=24)


def age_note(snapshot: RegistrySnapshot, now: datetime) -> str:
    """How old the snapshot is when the preview uses it, flagged when stale or of unknown age."""
    try:
        taken = datetime.fromisoformat(snapshot.taken_at)
    except ValueError:
        return "⚠️ Registry snapshot of unknown age (no valid `takenAt`): versions may be long out of date."
    if taken.tzinfo is None:
        taken = taken.replace(tzinfo=UTC)
    age = max(timedelta(0), now - taken)
    hours, minutes = divmod(int(age.total_seconds()) // 60, 60)
    text = f"Registry snapshot age: {hours} h {minutes:02d} min (taken {taken.isoformat(timespec='minutes')})"
    if age > STALE_AFTER:
        return f"⚠️ {text}: older than {int(STALE_AFTER.total_seconds() // 3600)} h, the snapshot workflow has not run since"
    return text


def snapshot_resolver(path: str | Path | None) -> SnapshotResolver | None:
    return SnapshotResolver(load_snapshot(Path(path))) if path else None
