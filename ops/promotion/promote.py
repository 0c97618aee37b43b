"""`python -m ops promote --model M --from staging --to prod`.

1. The version must be live in the source stack (its `models` output), and the Canary that output
   names must have promoted it: its live status is read from the source cluster (canary_health.py).
2. The target's selector decides how it moves: an alias is moved in MLflow to that version; any other
   selector (stage, latest) is pinned through the target's `modelPins` config. A catalogue pin
   `{version: N}` is a reviewed decision: promote refuses and says to change it in a pull request.
3. `up` on the target (the prod guard and the quality gates still apply). If it fails, the alias is
   moved back, so the registry never claims a version the stack refused.
4. Audit: MLflow tags `promoted.<env>.{from,at,by}` on the version and a stack tag on the target.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ops.automation.driver import Outcome
from ops.automation.exit_codes import ExitCode
from ops.promotion.audit import AuditEntry, actor, now, read_pins, record_audit, write_pins
from ops.promotion.canary_health import CanaryReader, check_canary
from ops.promotion.context import DriverFactory, PromotionRefused, deployed, model_spec, stack_context
from registry.client import AliasNotFound


@dataclass(frozen=True)
class PromoteRequest:
    model: str
    source: str
    target: str


def promote(
    project_dir: Path, request: PromoteRequest, driver_for: DriverFactory, canary_reader: CanaryReader
) -> Outcome:
    source_driver, target_driver = driver_for(request.source), driver_for(request.target)
    entry = deployed(source_driver.outputs(), request.model, request.source)
    checked = check_canary(entry, request.model, request.source, canary_reader)
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
    stack = target_driver.stack()
    pins = read_pins(stack)
    previous_alias = None
    try:
        if kind == "alias":
            try:
                previous_alias = str(client.get_version_by_alias(spec.registered_model, str(value))["version"])
            except AliasNotFound:
                previous_alias = None
            client.set_alias(spec.registered_model, str(value), version)
            pins.pop(request.model, None)  # the alias now decides; a rollback pin would hide the promotion
        else:
            pins[request.model] = int(version)
        write_pins(stack, pins)
        outcome = target_driver.up()
        if outcome.code != ExitCode.OK and kind == "alias":
            _restore(client, spec.registered_model, str(value), previous_alias)
            outcome.messages.append(f"alias {value!r} moved back to v{previous_alias or '(none)'}")
            return outcome
    finally:
        client.close()
    entry_audit = AuditEntry("promoted", request.model, target.environment, version, request.source, actor(), now())
    outcome.messages += record_audit(entry_audit, target.client(), spec.registered_model, target_driver)
    outcome.messages.append(checked)
    outcome.messages.append(f"promoted {request.model} v{version} from {request.source} to {request.target}")
    return outcome


def _restore(client, registered_model: str, alias: str, previous: str | None) -> None:
    if previous:
        client.set_alias(registered_model, alias, previous)
    else:
        client.delete_alias(registered_model, alias)
