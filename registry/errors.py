"""What the registry said (or did not say), as errors that name the registry, the request and the fix.

The registry URI in every message is the display form: any `user:password@` part stripped.
"""

from __future__ import annotations

from core.problems import Finding


class RegistryError(Exception):
    """Something the registry said (or did not say). The message names the registry and the object."""

    def __init__(
        self, message: str, *, registry: str, fix: str = "", code: str = "", status: int | None = None, detail: str = ""
    ):
        self.message = message
        self.detail = detail  # the server's own message, for translating errors
        self.registry = registry
        self.fix = fix
        self.code = code  # MLflow error_code, e.g. RESOURCE_DOES_NOT_EXIST
        self.status = status  # HTTP status, None for connection errors
        self.finding = Finding(f"MLflow registry {registry}: {message}", fix)
        super().__init__(str(self.finding))


class RegistryUnavailable(RegistryError):
    """Connection refused, timed out, past its deadline or 5xx after every retry."""


class UnexpectedAnswer(RegistryError):
    """The server answered, but not like MLflow's REST API: a login page, a proxy, truncated or odd JSON."""


class ModelNotFound(RegistryError):
    pass


class AliasNotFound(RegistryError):
    pass


class VersionNotFound(RegistryError):
    pass
