"""The registry credentials Secret and the env entries that read it (plan/registry_credentials.py decides
which credentials). Values are text or secret Pulumi Outputs: never unwrapped here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plan.registry_credentials import CREDENTIALS_SECRET, PodCredentials


def credentials_env(credentials: PodCredentials | None, secret_name: str | None = None) -> list[dict[str, Any]]:
    """One env entry per key, from the Secret (`secret_name` where a component prefixes its name; else the
    model namespace's CREDENTIALS_SECRET)."""
    if credentials is None:
        return []
    name = secret_name or CREDENTIALS_SECRET
    return [{"name": key, "valueFrom": {"secretKeyRef": {"name": name, "key": key}}} for key in credentials.keys]


def credentials_secret_manifest(
    credentials: PodCredentials | None, metadata: dict[str, Any], values: Mapping[str, Any]
) -> dict[str, Any]:
    """`values` must hold exactly the keys the credentials name: a missing one would leave a pod without
    it, an extra one would hand a pod a credential it has no use for; none at all where its pods sign in
    with nothing."""
    if credentials is None:
        raise ValueError(f"{metadata['name']}: registry credentials given, but its pods sign in with none")
    if set(values) != set(credentials.keys):
        raise ValueError(f"registry credentials: values for {sorted(values)}, expected {sorted(credentials.keys)}")
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata,
        "type": "Opaque",
        "stringData": {key: values[key] for key in credentials.keys},
    }
