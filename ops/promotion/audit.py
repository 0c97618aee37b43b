"""The audit trail of promotions and rollbacks: MLflow model-version tags and Pulumi stack tags.

MLflow tags (on the version that becomes live) say what happened to it in which environment; the stack
tag says what the stack was last told to serve and why. Stack tag names are kept short because the
Pulumi Cloud limits names to 40 characters and values to 256.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.config_keys import config_key

PINS_KEY = config_key("modelPins")
TAG_VALUE_MAX = 256


def actor(environ=os.environ) -> str:
    """Who did it: the CI actor when run from a workflow, else the local user."""
    return environ.get("GITHUB_ACTOR") or environ.get("USER") or getpass.getuser()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class AuditEntry:
    action: str  # "promoted" | "rolledback"
    model: str
    environment: str
    version: str
    from_: str  # promote: the source stack; rollback: the version rolled back from
    by: str
    at: str
    reason: str = ""

    def mlflow_tags(self) -> dict[str, str]:
        prefix = f"{self.action}.{self.environment}"
        tags = {f"{prefix}.from": self.from_, f"{prefix}.at": self.at, f"{prefix}.by": self.by}
        if self.reason:
            tags[f"{prefix}.reason"] = self.reason
        return tags

    def stack_tag(self) -> tuple[str, str]:
        key = f"mlops.{self.action}.{self.model}"[:40]
        value = f"v{self.version} from {self.from_} at {self.at} by {self.by}"
        if self.reason:
            value += f": {self.reason}"
        return key, value[:TAG_VALUE_MAX]


def record_audit(entry: AuditEntry, client: Any, registered_model: str, driver: Any) -> list[str]:
    """Writes the audit trail: MLflow tags on the version, then a stack tag. Returns the messages to show
    (a backend that refuses stack tags is reported, never turned into a failed deployment). Closes `client`."""
    try:
        for key, value in entry.mlflow_tags().items():
            client.set_version_tag(registered_model, entry.version, key, value)
    finally:
        client.close()
    refused = driver.set_tag(*entry.stack_tag())
    return [refused] if refused else []
