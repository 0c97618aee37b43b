"""`python -m ops promote --model M --from staging --to prod [--recover]`.

1. Read-only checks first, so a refusal changes nothing: both stacks and the model exist in the
   project; the version is live in the source stack (its `models` output) and, where the output reports
   a canary, that canary succeeded; the version exists in the registry, is READY and passes the target
   environment's gates against what the target serves now (ops/promotion/candidate.py).
2. The target's selector decides how it moves: an alias is moved in MLflow to that version; any other
   selector (stage, latest) is pinned through the target's `modelPins` config. A catalogue pin
   `{version: N}` is a reviewed decision: promote refuses and says to change it in a pull request.
3. The write order and its recovery are in ops/promotion/recovery.py: the lock with the intent first
   (one promotion of a model at a time, ops/promotion/lock.py), then the alias and the pins, then `up`
   on the target (the prod guard and the quality gates still apply), then the audit record (MLflow tags
   `promoted.<env>.{from,at,by}` on the version and a stack tag) or, if `up` failed, the alias moved
   back; the lock goes last. `--recover` completes or undoes a run that died in between.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pulumi.automation.errors import CommandError

from ops.automation.changes import ChangeLog
from ops.automation.exit_codes import ExitCode
from ops.automation.run_options import Outcome
from ops.promotion.audit import actor, now
from ops.promotion.canary_health import CanaryReader, check_canary
from ops.promotion.candidate import check_candidate
from ops.promotion.context import DriverFactory, PromotionRefused, deployed, stack_context
from ops.promotion.deploy import Failure, deploy_and_record
from ops.promotion.lock import Intent, PromotionLock
from ops.promotion.pins_file import write_pins
from ops.promotion.recovery import recover, serving_version, undo
from registry.client import AliasNotFound, MlflowRegistryClient, RegistryError


@dataclass(frozen=True)
class PromoteRequest:
    model: str
    source: str
    target: str

    def command(self) -> str:
        return f"python -m ops promote --model {self.model} --from {self.source} --to {self.target}"


def promote(
    project_dir: Path,
    request: PromoteRequest,
    driver_for: DriverFactory,
    canary_reader: CanaryReader,
    *,
    recover_run: bool = False,
) -> Outcome:
    stack_context(project_dir, request.source)  # an unknown stack is refused before any CLI or registry call
    target = stack_context(project_dir, request.target)
    spec = target.model_spec(request.model)
    if target.environment not in spec.environments:
        raise PromotionRefused(f"{request.model} is not served in {target.environment!r} (see its catalogue file)")
    kind, value = next(iter(spec.environments[target.environment].selector().items()))
    if kind == "version":
        raise PromotionRefused(
            f"{request.model} is pinned to version {value} for {target.environment!r} in the catalogue; "
            "change the pin in a pull request instead"
        )
    source_driver, target_driver = driver_for(request.source), driver_for(request.target)
    client = target.client()
    lock = PromotionLock(client, spec.registered_model)
    try:
        if recover_run:
            return Outcome(ExitCode.OK, ChangeLog(), recover(lock, client, target_driver))
        entry = deployed(source_driver.outputs(), request.model, request.source)
        checked = check_canary(entry, request.model, request.source, canary_reader)
        version = str(entry["version"])
        serving = serving_version(target_driver.outputs(), request.model)
        pins = dict(target.pins)
        alias = str(value) if kind == "alias" else ""
        previous = _alias_target(client, spec.registered_model, alias)
        # Idempotent: the target already serves the version the way this promotion would leave it.
        done = (previous == version and request.model not in pins) if alias else pins.get(request.model) == int(version)
        if done and serving == version:
            how = f"alias {alias!r}" if alias else f"its pin in Pulumi.{request.target}.yaml"
            message = f"{request.target} already serves {request.model} v{version} through {how}: nothing changed"
            return Outcome(ExitCode.OK, ChangeLog(), [message])
        check_candidate(client, spec, target.environment, version, serving)
        intent = Intent(
            "promote", request.model, request.target, target.environment, version, request.source, actor(), now(),
            alias=alias, previous=previous, pins_before=json.dumps(pins),
        )  # fmt: skip
        lock.acquire(intent, request.command())
        outcome = _apply(intent, pins, client, lock, target_driver, request)
        outcome.messages.insert(0, checked)
        return outcome
    finally:
        client.close()


def _alias_target(client: MlflowRegistryClient, registered_model: str, alias: str) -> str:
    if not alias:
        return ""
    try:
        return str(client.get_version_by_alias(registered_model, alias)["version"])
    except AliasNotFound:
        return ""


def _apply(
    intent: Intent,
    pins: dict[str, int],
    client: MlflowRegistryClient,
    lock: PromotionLock,
    driver,
    request: PromoteRequest,
) -> Outcome:
    def write() -> None:
        if intent.alias:
            client.set_alias(lock.registered_model, intent.alias, intent.version)
            pins.pop(intent.model, None)  # the alias now decides; a rollback pin would hide the promotion
        else:
            pins[intent.model] = int(intent.version)
        write_pins(driver.options.project_dir, driver.options.stack, pins)

    def put_back(error: Failure, pending: str) -> Outcome:  # half-way: put back what can be put back now
        failure = str(error).strip()
        try:
            undone = undo(intent, client, lock, driver)
        except (RegistryError, CommandError):
            return Outcome(ExitCode.FAILED, ChangeLog(), [f"error: {failure}", f"the alias may have moved; {pending}"])
        return Outcome(ExitCode.FAILED, ChangeLog(), [f"error: {failure}", *undone, "nothing else was changed"])

    return deploy_and_record(
        intent,
        client,
        lock,
        driver,
        command=request.command(),
        write=write,
        if_write_or_up_fails=put_back,
        if_up_is_not_ok=lambda _: undo(intent, client, lock, driver),
        done=f"promoted {intent.model} v{intent.version} from {request.source} to {request.target}",
    )
