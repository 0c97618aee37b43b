"""Finishing a promotion or rollback, whether it runs to its end now or died and is re-run with --recover.

The write order (ops/promotion/promote.py, rollback.py), every step safe to repeat:

  1. the lock with the intent (ops/promotion/lock.py): the pending record, before anything moves;
  2. the alias move (promote with an alias selector), then the stack's `modelPins`;
  3. `up` on the stack;
  4. done: the audit record (MLflow tags on the version, then a stack tag), then the lock is deleted;
     failed: the alias is moved back and the pins restored, then the lock is deleted.

So an alias never stays moved without a record saying so (the lock exists until 4 ends), and the audit
record is only written after the alias moved and the stack deployed. A run that dies anywhere leaves the
lock; `recover` then decides from what is true, not from how far the dead run thought it got: if the
stack serves the intended version the run is completed (4, done), otherwise it is undone (4, failed).
"""

from __future__ import annotations

import json
from typing import Any

from ops.promotion.audit import AuditEntry
from ops.promotion.context import PromotionRefused
from ops.promotion.lock import Intent, PromotionLock
from ops.promotion.pins_file import write_pins
from registry.client import AliasNotFound, MlflowRegistryClient

ACTIONS = {"promote": "promoted", "rollback": "rolledback"}


def serving_version(outputs: dict[str, Any], model: str) -> str | None:
    """The version a stack's `models` output says it serves, None when it serves none."""
    entry = (outputs.get("models") or {}).get(model) or {}
    version = entry.get("version") if isinstance(entry, dict) else None
    return str(version) if version else None


def complete(intent: Intent, client: MlflowRegistryClient, lock: PromotionLock, driver: Any) -> list[str]:
    """The audit record of a deployed change, then the lock goes. Returns the messages to show."""
    entry = AuditEntry(
        ACTIONS[intent.op],
        intent.model,
        intent.environment,
        intent.version,
        intent.source,
        intent.by,
        intent.at,
        intent.reason,
    )
    registered_model = lock.registered_model
    for key, value in entry.mlflow_tags().items():
        client.set_version_tag(registered_model, intent.version, key, value)
    refused = driver.set_tag(*entry.stack_tag())
    lock.release()
    return [refused] if refused else []


def undo(intent: Intent, client: MlflowRegistryClient, lock: PromotionLock, driver: Any) -> list[str]:
    """Moves the alias back (only if it still points where this run put it), restores the pins, then the
    lock goes. Returns what was undone."""
    messages = []
    registered_model = lock.registered_model
    if intent.alias:
        try:
            now_at = str(client.get_version_by_alias(registered_model, intent.alias)["version"])
        except AliasNotFound:
            now_at = None
        if now_at == intent.version:
            if intent.previous:
                client.set_alias(registered_model, intent.alias, intent.previous)
            else:
                client.delete_alias(registered_model, intent.alias)
            messages.append(f"alias {intent.alias!r} moved back to v{intent.previous or '(none)'}")
        elif now_at != (intent.previous or None):
            messages.append(
                f"alias {intent.alias!r} now points at v{now_at or '(none)'}, moved by someone else: left as it is"
            )
    pins_before = {str(k): int(v) for k, v in json.loads(intent.pins_before or "{}").items()}
    write_pins(driver.options.project_dir, driver.options.stack, pins_before)  # the stack file as it was
    lock.release()
    return messages


def recover(lock: PromotionLock, client: MlflowRegistryClient, driver: Any) -> list[str]:
    """Completes or undoes the run recorded in the lock; says which. Nothing to do when no lock is held."""
    intent = lock.held()
    if intent is None:
        return [f"nothing to recover: no promotion or rollback holds {lock.name!r}"]
    if intent.op not in ACTIONS:
        raise PromotionRefused(f"{lock.name!r} records an unknown operation {intent.op!r}: not written by this tool")
    if intent.stack != driver.options.stack:  # the lock is per model: it may hold another stack's run
        flags = f"--stack {intent.stack}" if intent.op == "rollback" else f"--from {intent.source} --to {intent.stack}"
        raise PromotionRefused(
            f"the pending record {lock.name!r} is the {intent.describe()}, not a run on stack "
            f"{driver.options.stack!r} (fix: `python -m ops {intent.op} --model {intent.model} {flags} --recover`)"
        )
    served = serving_version(driver.outputs(), intent.model)
    if served == intent.version:
        messages = complete(intent, client, lock, driver)
        return [
            *messages,
            f"recovered the interrupted {intent.describe()}: it had deployed; its audit record is written",
        ]
    messages = undo(intent, client, lock, driver)
    return [
        *messages,
        f"recovered the interrupted {intent.describe()}: stack {intent.stack!r} serves "
        f"v{served or '(none)'}, not v{intent.version}, so it was undone; re-run the command to try again",
    ]
