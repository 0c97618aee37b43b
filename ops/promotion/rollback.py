"""`python -m ops rollback --model M --stack S [--reason ...] [--to-version N]`: the answer to an incident.

The version to return to is the one deployed before the current one: the ModelVersion resource keeps
it in its state (`previous_version`, read from `pulumi stack export`), or `--to-version` names it.
It is pinned in the stack file's `modelPins` (ops/promotion/pins_file.py; a pin bypasses the quality
gates: the previous version is known to have served), `up` runs, and the reason is recorded in MLflow
tags `rolledback.<env>.{from,at,by,reason}` on the restored version and in a stack tag. The operate
workflow commits the stack file (`ops commit-pins`), so the next deploy keeps the pin; `promote` clears it.

Idempotent: a stack file that already pins the model is this rollback's own earlier run. If the stack
serves the pinned version, nothing is done (and it says so); if not (that run's `up` failed), `up` runs
again with the same pin. Going further back needs `--to-version`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops.automation.changes import ChangeLog
from ops.automation.driver import Outcome
from ops.automation.exit_codes import ExitCode
from ops.engine import DYNAMIC_TYPE
from ops.promotion.audit import AuditEntry, actor, now, record_audit
from ops.promotion.context import DriverFactory, PromotionRefused, deployed, model_spec, stack_context
from ops.promotion.pins_file import read_pins, write_pins


@dataclass(frozen=True)
class RollbackRequest:
    model: str
    stack: str
    reason: str = ""
    to_version: str | None = None


def previous_version(deployment: dict[str, Any], model: str) -> str:
    """The ModelVersion state's `previous_version` for `model`, "" when none is recorded."""
    for resource in deployment.get("resources", []):
        outputs = resource.get("outputs") or {}
        if resource.get("type") == DYNAMIC_TYPE and outputs.get("model") == model:
            return str(outputs.get("previous_version") or "")
    return ""


def rollback(project_dir: Path, request: RollbackRequest, driver_for: DriverFactory) -> Outcome:
    driver = driver_for(request.stack)
    current = str(deployed(driver.outputs(), request.model, request.stack)["version"])
    pins = read_pins(project_dir, request.stack)
    pinned = str(pins[request.model]) if request.model in pins else None
    target = request.to_version or pinned
    if not target:
        target = previous_version(dict(driver.stack().export_stack().deployment or {}), request.model)
    if not target:
        raise PromotionRefused(
            f"no previous version of {request.model} is recorded in stack {request.stack!r} "
            "(fix: name one with --to-version N)"
        )
    if target == current:
        if pinned == target:
            return Outcome(
                ExitCode.OK,
                ChangeLog(),
                [
                    f"{request.model} already serves v{target} in {request.stack}, pinned in "
                    f"Pulumi.{request.stack}.yaml: nothing changed (to go further back, name --to-version N)"
                ],
            )
        raise PromotionRefused(f"{request.model} already serves v{current} in {request.stack!r}")
    context = stack_context(project_dir, request.stack)
    spec = model_spec(project_dir, request.stack, request.model)
    write_pins(project_dir, request.stack, {**pins, request.model: int(target)})
    outcome = driver.up()
    if outcome.code != ExitCode.OK:
        outcome.messages.append(
            f"the pin {request.model}={target} stays in Pulumi.{request.stack}.yaml: fix and re-run (the same "
            "rollback finishes it)"
        )
        return outcome
    audit = AuditEntry(
        "rolledback", request.model, context.environment, target, f"v{current}", actor(), now(), request.reason
    )
    outcome.messages += record_audit(audit, context.client(), spec.registered_model, driver)
    outcome.messages.append(f"rolled back {request.model} in {request.stack} from v{current} to v{target}")
    return outcome
