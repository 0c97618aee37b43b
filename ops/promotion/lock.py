"""One promotion or rollback of a registered model at a time, and the pending record of what it is doing.

MLflow has no compare-and-set on aliases or tags (two writers both "win" a read-then-write), but creating
a registered model is atomic: its name is the store's key, and a second create is refused with
RESOURCE_ALREADY_EXISTS. So the lock is a registered model `<registered model>_promotion_lock`, created
with the whole intent as its tags in ONE request. While it exists it is the pending audit record: an
alias is only ever moved while it exists, and it is deleted only after the audit record is written or
the alias is moved back (ops/promotion/recovery.py). A run that dies in between leaves it in place;
`--recover` reads it and completes or undoes that run. Underscores only: the name stays valid in Unity
Catalog's three-level names too.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ops.promotion.context import PromotionRefused
from registry.client import MlflowRegistryClient, ModelNotFound, RegistryError, tags_of

LOCK_SUFFIX = "_promotion_lock"
TAG_PREFIX = "mlops.intent."
DESCRIPTION = (
    "Lock and pending record of a running `python -m ops promote|rollback` (mlops-platform). Do not delete it "
    "by hand: if that run is dead, re-run the same command with --recover, which completes or undoes it."
)


@dataclass(frozen=True)
class Intent:
    """What a promotion or rollback is about to do, written before it changes anything."""

    op: str  # "promote" | "rollback"
    model: str  # catalogue name
    stack: str  # the stack whose served version changes
    environment: str
    version: str  # the version being made live
    source: str  # promote: the source stack; rollback: "v<the version rolled back from>"
    by: str
    at: str
    alias: str = ""  # the alias moved, "" when the change is a pin
    previous: str = ""  # the version the alias pointed at before, "" when it did not exist
    pins_before: str = "{}"  # the stack's modelPins before, JSON
    reason: str = ""
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def tags(self) -> dict[str, str]:
        return {TAG_PREFIX + k: str(v) for k, v in asdict(self).items()}

    @classmethod
    def from_tags(cls, tags: dict[str, str]) -> Intent:
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {
            k[len(TAG_PREFIX) :]: v
            for k, v in tags.items()
            if k.startswith(TAG_PREFIX) and k[len(TAG_PREFIX) :] in known
        }
        for required in ("op", "model", "stack", "environment", "version", "source", "by", "at"):
            values.setdefault(required, "?")
        return cls(**values)

    def describe(self) -> str:
        what = f"{self.op} of {self.model} to v{self.version} in stack {self.stack!r}"
        return f"{what} (started {self.at} by {self.by})"


class LockHeld(PromotionRefused):
    def __init__(self, lock_name: str, holder: Intent | None, command: str):
        self.holder = holder
        who = holder.describe() if holder else f"a run whose record could not be read (registered model {lock_name})"
        super().__init__(
            f"another {who} holds the promotion lock {lock_name!r}, so this one did not start "
            f"(fix: wait for it to finish; if its job is dead, run `{command} --recover` to complete or undo it)"
        )


class PromotionLock:
    def __init__(self, client: MlflowRegistryClient, registered_model: str):
        self.client = client
        self.registered_model = registered_model
        self.name = f"{registered_model}{LOCK_SUFFIX}"

    def acquire(self, intent: Intent, command: str) -> None:
        """Creates the lock with the intent, or raises LockHeld naming the holder. A retried create whose
        first attempt did reach the store finds its own run id and owns the lock."""
        try:
            self.client.create_registered_model(self.name, intent.tags(), DESCRIPTION)
        except RegistryError as err:
            if err.code != "RESOURCE_ALREADY_EXISTS":
                raise
            holder = self.held()
            if holder is not None and holder.run_id == intent.run_id:
                return
            raise LockHeld(self.name, holder, command) from None

    def held(self) -> Intent | None:
        """The intent of the run holding the lock, None when nobody holds it."""
        try:
            model = self.client.get_registered_model(self.name)
        except ModelNotFound:
            return None
        return Intent.from_tags(tags_of(model))

    def release(self) -> None:
        self.client.delete_registered_model(self.name)
