"""The registry connection of one process: tracking URI, token and limits from stack config and the
environment. Kept in a per-process map keyed by the provider object, never on the provider (it is
pickled into the state)."""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi.dynamic import (
    ConfigureRequest,
    ResourceProvider,
)

from facts import mlflow_client_env as env
from registry.client import (
    DEFAULT_READ_TIMEOUT,
    DEFAULT_RETRIES,
    MlflowRegistryClient,
    RegistryError,
)
from registry.connection_keys import (
    CONFIG_DEADLINE,
    CONFIG_PASSWORD,
    CONFIG_READ_TIMEOUT,
    CONFIG_RETRIES,
    CONFIG_TOKEN,
    CONFIG_URI,
    CONFIG_USERNAME,
    CONNECTION_KEYS,
)

# -- connection: per process, never on the provider ---------------------------------------------------


@dataclass(frozen=True)
class Connection:
    uri: str
    token: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
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
            self.uri,
            self.token,
            username=self.username,
            password=self.password,
            read_timeout=self.read_timeout,
            retries=self.retries,
            deadline=self.deadline or None,
        )


def connection_settings(config: Mapping[str, Any], environ: Mapping[str, str]) -> Connection:
    """Env overrides stack config, as MLflow's own tools do; for the credentials too, so a CI job that points
    MLFLOW_TRACKING_URI at another server brings that server's token or user the same way. The user and its
    password come as a pair, from the environment if it sets either, else from stack config: never a
    username from one and a password from the other."""
    timeout = config.get(CONFIG_READ_TIMEOUT)
    retries = config.get(CONFIG_RETRIES)
    deadline = config.get(CONFIG_DEADLINE)
    if any(environ.get(name) for name in env.BASIC_CREDENTIALS):
        username, password = environ.get(env.TRACKING_USERNAME), environ.get(env.TRACKING_PASSWORD)
    else:
        username, password = config.get(CONFIG_USERNAME), config.get(CONFIG_PASSWORD)
    return Connection(
        uri=environ.get(env.TRACKING_URI) or config.get(CONFIG_URI) or "",
        token=environ.get(env.TRACKING_TOKEN) or config.get(CONFIG_TOKEN) or None,
        username=username or None,
        password=password or None,
        read_timeout=float(timeout) if timeout not in (None, "") else DEFAULT_READ_TIMEOUT,
        retries=int(retries) if retries not in (None, "") else DEFAULT_RETRIES,
        deadline=float(deadline) if deadline not in (None, "") else 0,
    )


_CONNECTIONS: weakref.WeakKeyDictionary[ResourceProvider, Connection] = weakref.WeakKeyDictionary()
_CONNECTIONS_LOCK = threading.Lock()


class ConnectedProvider(ResourceProvider):
    """A dynamic provider that talks to the registry: configure() reads the connection from stack config
    (secrets arrive decrypted) into _CONNECTIONS, never onto self, so the pickled provider holds nothing."""

    # Nothing secret is ever captured (credentials live in _CONNECTIONS), so the serialized provider need
    # not be a secret; if a secret Output were captured the SDK would still mark it secret.
    serialize_as_secret_always = False

    def configure(self, req: ConfigureRequest) -> None:
        with _CONNECTIONS_LOCK:
            # Keys are full "project:key" names.
            config = {k: req.config.get(k) for k in CONNECTION_KEYS}
            _CONNECTIONS[self] = connection_settings({k: v for k, v in config.items() if v is not None}, os.environ)

    def _client(self) -> MlflowRegistryClient:
        with _CONNECTIONS_LOCK:
            conn = _CONNECTIONS.get(self)
        # Not configured (a direct call outside the provider host): the MLFLOW_* env vars, like MLflow tools.
        return (conn or connection_settings({}, os.environ)).client()
