"""The registry connection of one process: tracking URI, token and limits from stack config and the
environment. Kept in a per-process map keyed by the provider object, never on the provider (it is
pickled into the state)."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi.dynamic import (
    ResourceProvider,
)

from registry.client import (
    DEFAULT_READ_TIMEOUT,
    DEFAULT_RETRIES,
    MlflowRegistryClient,
    RegistryError,
)
from registry.connection_keys import CONFIG_DEADLINE, CONFIG_READ_TIMEOUT, CONFIG_RETRIES, CONFIG_TOKEN, CONFIG_URI

# -- connection: per process, never on the provider ---------------------------------------------------


@dataclass(frozen=True)
class Connection:
    uri: str
    token: str | None = field(default=None, repr=False)
    read_timeout: float = DEFAULT_READ_TIMEOUT
    retries: int = DEFAULT_RETRIES
    deadline: float = 0  # total per request and per resolution; 0 = read_timeout x (retries + 1)

    def client(self) -> MlflowRegistryClient:
        if not self.uri:
            raise RegistryError(
                "no tracking URI configured",
                registry="<unset>",
                fix=f"set stack config {CONFIG_URI} (or env MLFLOW_TRACKING_URI)",
            )
        return MlflowRegistryClient(
            self.uri, self.token, read_timeout=self.read_timeout, retries=self.retries, deadline=self.deadline or None
        )


def connection_settings(config: Mapping[str, Any], environ: Mapping[str, str]) -> Connection:
    """Env overrides stack config, as MLflow's own tools do; for the token too, so a CI job that points
    MLFLOW_TRACKING_URI at another server brings that server's token the same way."""
    timeout = config.get(CONFIG_READ_TIMEOUT)
    retries = config.get(CONFIG_RETRIES)
    deadline = config.get(CONFIG_DEADLINE)
    return Connection(
        uri=environ.get("MLFLOW_TRACKING_URI") or config.get(CONFIG_URI) or "",
        token=environ.get("MLFLOW_TRACKING_TOKEN") or config.get(CONFIG_TOKEN) or None,
        read_timeout=float(timeout) if timeout not in (None, "") else DEFAULT_READ_TIMEOUT,
        retries=int(retries) if retries not in (None, "") else DEFAULT_RETRIES,
        deadline=float(deadline) if deadline not in (None, "") else 0,
    )


_CONNECTIONS: weakref.WeakKeyDictionary[ResourceProvider, Connection] = weakref.WeakKeyDictionary()
_CONNECTIONS_LOCK = threading.Lock()
