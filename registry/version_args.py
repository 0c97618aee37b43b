"""The inputs of one ModelVersion: its args, the selector they name, their validation, and which input
changes replace the resource and which update it (the provider's diff policy).

Pure; the provider (registry/provider.py), the resource (registry/model_version.py) and resolution
(registry/resolution.py) read them from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.environments import ENVIRONMENTS
from core.problems import Finding, Invalid
from registry.gates import validate_gates

STAGES = ("None", "Staging", "Production", "Archived")
INPUT_KEYS = ("model", "registered_model", "environment", "selector", "gates", "record")
RESOLVED_KEYS = ("version", "run_id", "source", "created_at", "metrics", "tags", "gate", "previous_version")
OUTPUT_ONLY_KEYS = ("artifact_uri", "aliases")  # need extra calls: made in create/update/read, not check
# Diff policy. registered_model and environment are the resource's identity (its id is "<model>@<env>",
# and the `<env>-live` alias and `deployed.<env>` tag live on that model): changing them is a different
# deployment, so replace. A new version in the same slot is an UPDATE, not a replace: update moves the
# alias atomically, whereas create-before-delete would set the alias on the new version and then let the
# old resource's delete find and remove it. The other inputs change what is recorded or reported.
REPLACE_KEYS = ("registered_model", "environment")
UPDATE_KEYS = ("version", "model", "selector", "gates", "record")


@dataclass(frozen=True)
class ModelVersionArgs:
    model: str  # catalogue name, e.g. "churn-prediction" (messages use it)
    registered_model: str  # MLflow registered model name
    environment: str  # one of ENVIRONMENTS
    selector: dict = field(default_factory=lambda: {"alias": "champion"})  # exactly one of alias/stage/version/latest
    gates: dict = field(default_factory=dict)  # {} = no gates; see registry/gates.py
    record: bool = True  # tag `deployed.<env>` and alias `<env>-live` on create/update

    def to_inputs(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "registered_model": self.registered_model,
            "environment": self.environment,
            "selector": dict(self.selector),
            "gates": dict(self.gates),
            "record": self.record,
        }

    @classmethod
    def from_inputs(cls, inputs: Mapping[str, Any]) -> ModelVersionArgs:
        return cls(
            model=inputs.get("model", ""),
            registered_model=inputs.get("registered_model", ""),
            environment=inputs.get("environment", ""),
            selector=inputs.get("selector") or {},
            gates=inputs.get("gates") or {},
            record=inputs.get("record", True),
        )


def parse_selector(selector: Any) -> tuple[str, Any]:
    """(kind, canonical value). Raises Invalid (a ValueError) with the fix. Numbers arrive as floats over gRPC."""
    example = "{alias: champion}, {stage: Production}, {version: 7} or {latest: true}"
    if not isinstance(selector, Mapping) or len(selector) != 1:
        raise Invalid(f"selector {selector!r} must have exactly one key", f"use one of {example}")
    ((kind, value),) = selector.items()
    if kind == "alias" and isinstance(value, str) and value.strip():
        return kind, value.strip()
    if kind == "stage" and isinstance(value, str):
        for stage in STAGES:
            if value.lower() == stage.lower():
                return kind, stage
        raise Invalid(f"stage {value!r} is not an MLflow stage", f"one of {', '.join(STAGES)}, or an alias")
    if kind == "version" and not isinstance(value, bool):
        if isinstance(value, (int, float)) and value == int(value) and value >= 1:
            return kind, str(int(value))
        if isinstance(value, str) and value.isdigit() and int(value) >= 1:
            return kind, str(int(value))
    if kind == "latest" and value is True:
        return kind, True
    raise Invalid(f"selector {{{kind}: {value!r}}} is not valid", f"use one of {example}")


def validate_args(args: ModelVersionArgs) -> list[tuple[str, Finding]]:
    """[(field, finding)], [] when valid."""
    problems = []
    for name in ("model", "registered_model"):
        if not isinstance(getattr(args, name), str) or not getattr(args, name):
            problems.append((name, Finding(f"{name} is empty or not text", f"set {name} to a non-empty string")))
    if args.environment not in ENVIRONMENTS:
        problems.append(
            (
                "environment",
                Finding(f"{args.environment!r} is not an environment", f"one of {', '.join(ENVIRONMENTS)}"),
            )
        )
    try:
        parse_selector(args.selector)
    except Invalid as exc:
        problems.append(("selector", exc.finding))
    problems += [("gates", p) for p in validate_gates(args.gates)]
    if not isinstance(args.record, bool):
        problems.append(("record", Finding(f"record is {args.record!r}", "set it to true or false")))
    return problems
