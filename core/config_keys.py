"""Stack config keys: every key is `<project>:<name>`; one definition for the program, the provider and ops."""

from __future__ import annotations

PROJECT = "mlops-platform"


def config_key(name: str) -> str:
    """The full stack config key of a setting, e.g. config_key("mlflowToken") -> "mlops-platform:mlflowToken"."""
    return f"{PROJECT}:{name}"
