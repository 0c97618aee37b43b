"""`python -m ops promote --model M --from staging --to prod`.

1. The version must be live in the source stack (its `models` output) and, where the output reports a
   canary, that canary must have succeeded.
2. The target's selector decides how it moves: an alias is moved in MLflow to that version; any other
   selector (stage, latest) is pinned through the target's `modelPins` config. A catalogue pin
   `{version: N}` is a reviewed decision: promote refuses and says to change it in a pull request.
3. `up` on the target (the prod guard and the quality gates still apply). If it fails, the alias is
   moved back, so the registry never claims a version the stack refused.
4. Audit: MLflow tags `promoted.<env>.{from,at,by}` on the version and a stack tag on the target.

Pins live in the target's stack file (ops/promotion/pins_file.py), which the operate workflow commits
(`ops commit-pins`); a failed `up` restores the file as it was. Idempotent: when the target already
serves the version the way this promotion would leave it (the alias on it and no pin, or the pin on
it), nothing is done and it says so; no second audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ops.automation.changes import ChangeLog
from ops.automation.driver import Outcome
from ops.automation.exit_codes import ExitCode
from ops.promotion.audit import AuditEntry, actor, now, record_audit
from ops.promotion.context import DriverFactory, PromotionRefused, deployed, model_spec, stack_context
from ops.promotion.pins_file import read_pins, write_pins
from registry.client import AliasNotFound

HEALTHY = ("succeeded", "healthy", "promoted")


@dataclass(frozen=True)
class PromoteRequest:
    model: str
    source: str
    target: str


def _check_health(entry: dict, request: PromoteRequest) -> None:
    canary = entry.get("canary") or entry.get("health")
    status = canary.get("status") if isinstance(canary, dict) else canary
    if status is not None and str(status).lower() not in HEALTHY:
        raise PromotionRefused(
            f"{request.model} v{entry['version']} in {request.source!r} reports canary status {status!r}; "
            "promote only a version whose canary succeeded"
        )


def promote(project_dir: Path, request: PromoteRequest, driver_for: DriverFactory) -> Outcome:
    source_driver, target_driver = driver_for(request.source), driver_for(request.target)
    entry = deployed(source_driver.outputs(), request.model, request.source)
    _check_health(entry, request)
    version = str(entry["version"])
    target = stack_context(project_dir, request.target)
    spec = model_spec(project_dir, request.target, request.model)
    if target.environment not in spec.environments:
        raise PromotionRefused(f"{request.model} is not served in {target.environment!r} (see its catalogue file)")
    selector = spec.environments[target.environment].selector()
    kind, value = next(iter(selector.items()))
    if kind == "version":
        raise PromotionRefused(
            f"{request.model} is pinned to version {value} for {target.environment!r} in the catalogue; "
            "change the pin in a pull request instead"
        )
    client = target.client()
    pins = read_pins(project_dir, request.target)
    serving = (target_driver.outputs().get("models") or {}).get(request.model) or {}
    previous_alias = None
    try:
        if kind == "alias":
            try:
                previous_alias = str(client.get_version_by_alias(spec.registered_model, str(value))["version"])
            except AliasNotFound:
                previous_alias = None
            done = previous_alias == version and request.model not in pins
        else:
            done = pins.get(request.model) == int(version)
        if done and str(serving.get("version")) == version:
            how = f"alias {value!r}" if kind == "alias" else f"its pin in Pulumi.{request.target}.yaml"
            message = f"{request.target} already serves {request.model} v{version} through {how}: nothing changed"
            return Outcome(ExitCode.OK, ChangeLog(), [message])
        if kind == "alias":
            client.set_alias(spec.registered_model, str(value), version)
            # the alias now decides; a rollback pin would hide the promotion
            new_pins = {m: v for m, v in pins.items() if m != request.model}
        else:
            new_pins = {**pins, request.model: int(version)}
        write_pins(project_dir, request.target, new_pins)
        outcome = target_driver.up()
        if outcome.code != ExitCode.OK:
            write_pins(project_dir, request.target, pins)  # the stack file says what the stack really serves
            if kind == "alias":
                _restore(client, spec.registered_model, str(value), previous_alias)
                outcome.messages.append(f"alias {value!r} moved back to v{previous_alias or '(none)'}")
            return outcome
    finally:
        client.close()
    entry_audit = AuditEntry("promoted", request.model, target.environment, version, request.source, actor(), now())
    outcome.messages += record_audit(entry_audit, target.client(), spec.registered_model, target_driver)
    outcome.messages.append(f"promoted {request.model} v{version} from {request.source} to {request.target}")
    return outcome


def _restore(client, registered_model: str, alias: str, previous: str | None) -> None:
    if previous:
        client.set_alias(registered_model, alias, previous)
    else:
        client.delete_alias(registered_model, alias)
