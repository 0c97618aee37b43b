"""`python -m ops rollback --model M --stack S [--reason ...] [--to-version N] [--recover]`: the answer to an incident.

The version to return to is the one deployed before the current one: the ModelVersion resource keeps
it in its state (`previous_version`, read from `pulumi stack export`), or `--to-version` names it. It
must still be a good version: present in the registry and READY (ops/promotion/candidate.py). It is
pinned in the stack file's `modelPins` (ops/promotion/pins_file.py; the operate workflow commits it with
`ops commit-pins`, so the next deploy keeps it; a pin bypasses the quality gates: the previous version
is known to have served), `up` runs, and the reason is recorded in MLflow tags
`rolledback.<env>.{from,at,by,reason}` on the restored version and in a stack tag. `promote` clears the
pin later. The same lock and write order as promote (ops/promotion/recovery.py): a rollback and a
promotion of one model never run at once, and `--recover` finishes a rollback that died half-way.
Idempotent: a stack file that already pins the model is this rollback's earlier run: serving the pin,
nothing is done (it says so); not serving it (that `up` failed), `up` runs again with the same pin.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops.automation.changes import ChangeLog
from ops.automation.exit_codes import ExitCode
from ops.automation.run_options import Outcome
from ops.promotion.audit import actor, now
from ops.promotion.candidate import ready_version
from ops.promotion.context import DriverFactory, PromotionRefused, deployed, stack_context
from ops.promotion.deploy import Failure, deploy_and_record
from ops.promotion.lock import Intent, PromotionLock
from ops.promotion.pins_file import write_pins
from ops.promotion.recovery import recover
from ops.resource_types import DYNAMIC_TYPE


@dataclass(frozen=True)
class RollbackRequest:
    model: str
    stack: str
    reason: str = ""
    to_version: str | None = None

    def command(self) -> str:
        return f"python -m ops rollback --model {self.model} --stack {self.stack}"


def previous_version(deployment: dict[str, Any], model: str) -> str:
    """The ModelVersion state's `previous_version` for `model`, "" when none is recorded."""
    for resource in deployment.get("resources", []):
        outputs = resource.get("outputs") or {}
        if resource.get("type") == DYNAMIC_TYPE and outputs.get("model") == model:
            return str(outputs.get("previous_version") or "")
    return ""


def rollback(
    project_dir: Path, request: RollbackRequest, driver_for: DriverFactory, *, recover_run: bool = False
) -> Outcome:
    context = stack_context(project_dir, request.stack)
    spec = context.model_spec(request.model)
    driver = driver_for(request.stack)
    client = context.client()
    lock = PromotionLock(client, spec.registered_model)
    try:
        if recover_run:
            return Outcome(ExitCode.OK, ChangeLog(), recover(lock, client, driver))
        current = str(deployed(driver.outputs(), request.model, request.stack)["version"])
        pins = dict(context.pins)
        pinned = str(pins[request.model]) if request.model in pins else None
        # A stack file that already pins the model is this rollback's own earlier run (idempotent re-run).
        target = request.to_version or pinned
        if not target:
            deployment = dict(driver.stack().export_stack().deployment or {})
            target = previous_version(deployment, request.model)
        if not target:
            raise PromotionRefused(
                f"no earlier version of {request.model} is recorded in stack {request.stack!r} "
                "(fix: name one with --to-version N)"
            )
        if target == current and pinned == target:
            return Outcome(
                ExitCode.OK,
                ChangeLog(),
                [
                    f"{request.model} already serves v{target} in {request.stack}, pinned in "
                    f"Pulumi.{request.stack}.yaml: nothing changed (to go further back, name --to-version N)"
                ],
            )
        if target == current:
            raise PromotionRefused(f"{request.model} already serves v{current} in {request.stack!r}")
        ready_version(client, spec, target, f"no earlier good version of {request.model} to return to")
        intent = Intent(
            "rollback", request.model, request.stack, context.environment, target, f"v{current}", actor(), now(),
            pins_before=json.dumps(pins), reason=request.reason,
        )  # fmt: skip
        lock.acquire(intent, request.command())
        return _apply(intent, pins, client, lock, driver, request)
    finally:
        client.close()


def _apply(intent: Intent, pins: dict[str, int], client, lock: PromotionLock, driver, request) -> Outcome:
    def write() -> None:
        pins[intent.model] = int(intent.version)
        write_pins(driver.options.project_dir, driver.options.stack, pins)

    def keep_the_pin(outcome: Outcome) -> list[str]:
        # The pin is what the operator asked for: it stays, so fixing the cause and re-running finishes it.
        lock.release()
        return [
            f"the pin {intent.model}={intent.version} stays in Pulumi.{intent.stack}.yaml: fix and re-run (the same rollback finishes it)"
        ]

    def failed(error: Failure, pending: str) -> Outcome:
        message = f"error: v{intent.version} was not deployed, but a step failed: {str(error).strip()}"
        return Outcome(ExitCode.FAILED, ChangeLog(), [message, pending])

    return deploy_and_record(
        intent,
        client,
        lock,
        driver,
        command=request.command(),
        write=write,
        if_write_or_up_fails=failed,
        if_up_is_not_ok=keep_the_pin,
        done=f"rolled back {intent.model} in {intent.stack} from {intent.source} to v{intent.version}",
    )
