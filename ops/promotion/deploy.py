"""Steps 2 to 4 of the write order (ops/promotion/recovery.py), the one shape promote and rollback share:
write what moves the stack, `up`, then the audit record and the lock released; a failed `up` or a failing
registry or CLI handled as the operation says. Returns the Outcome to show; never raises those failures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi.automation.errors import CommandError

from ops.automation.exit_codes import ExitCode
from ops.automation.run_options import Outcome
from ops.promotion.lock import Intent, PromotionLock
from ops.promotion.recovery import complete
from registry.client import MlflowRegistryClient, RegistryError

Failure = RegistryError | CommandError


def deploy_and_record(
    intent: Intent,
    client: MlflowRegistryClient,
    lock: PromotionLock,
    driver: Any,
    *,
    command: str,
    write: Callable[[], None],
    if_write_or_up_fails: Callable[[Failure, str], Outcome],
    if_up_is_not_ok: Callable[[Outcome], list[str]],
    done: str,
) -> Outcome:
    """`write()` then `up`; `if_write_or_up_fails(error, pending)` when either raised, `if_up_is_not_ok`
    when `up` failed (its messages are added), otherwise the audit record and `done`. `pending` says how
    to finish with --recover while the lock stays."""
    pending = f"the pending record {lock.name!r} stays: run `{command} --recover` once it answers"
    try:
        write()
        outcome = driver.up()
    except (RegistryError, CommandError) as exc:
        return if_write_or_up_fails(exc, pending)
    try:
        if outcome.code != ExitCode.OK:
            outcome.messages += if_up_is_not_ok(outcome)
            return outcome
        outcome.messages += complete(intent, client, lock, driver)
    except (RegistryError, CommandError) as exc:
        state = "deployed" if outcome.code == ExitCode.OK else "not deployed"
        who = "the registry" if isinstance(exc, RegistryError) else "the Pulumi CLI"
        outcome.code = ExitCode.FAILED
        outcome.messages += [f"error: v{intent.version} was {state}, but {who} failed: {str(exc).strip()}", pending]
        return outcome
    outcome.messages.append(done)
    return outcome
