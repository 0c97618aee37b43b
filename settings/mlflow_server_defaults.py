"""Per-environment profile of the `mlflowServer` key: the stack's value is laid over it, field by field.

Off on every stack until turned on (`mlflowServer: {enabled: true}`), `local` included: the program asks the
registry which models it has before it registers anything, and on a stack's first `up` the server it is
about to create cannot answer yet (docs/mlflow-server.md, "First up"). The Cloud SQL tiers
grow with the environment: a shared-core instance for dev (no SLA, the cheapest that runs PostgreSQL),
one dedicated vCPU for staging, two vCPUs with a regional (high-availability) standby in prod.
"""

from __future__ import annotations

from typing import Any

from settings.addon_defaults import _merge


def _resources(cpu: str, memory: str) -> dict[str, str]:
    return {"cpu": cpu, "memory": memory}


def _database(tier: str, availability: str, disk: int, backups: int) -> dict[str, Any]:
    return {"tier": tier, "availability": availability, "diskSizeGb": disk, "backupsRetained": backups}


_LOCAL_STORE = {"databaseResources": _resources("100m", "256Mi")}

ENVIRONMENT_DEFAULTS: dict[str, dict[str, Any]] = {
    "local": {
        "enabled": False,
        "resources": _resources("100m", "512Mi"),
        "database": _database("db-f1-micro", "ZONAL", 10, 7),
        "local": _LOCAL_STORE,
    },
    "dev": {
        "enabled": False,
        "resources": _resources("250m", "1Gi"),
        "database": _database("db-g1-small", "ZONAL", 10, 7),
        "local": _LOCAL_STORE,
    },
    "staging": {
        "enabled": False,
        "resources": _resources("500m", "1Gi"),
        "database": _database("db-custom-1-3840", "ZONAL", 20, 14),
        "local": _LOCAL_STORE,
    },
    "prod": {
        "enabled": False,
        "replicas": 2,
        "resources": _resources("1", "2Gi"),
        "database": _database("db-custom-2-7680", "REGIONAL", 50, 30),
        "local": _LOCAL_STORE,
    },
}


def with_environment_defaults(environment: str, raw: Any) -> Any:
    """The stack's `mlflowServer:` value laid over its environment's profile (keys as written in YAML);
    anything that is not a mapping is returned as is, for the model to reject with its own message."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict) or environment not in ENVIRONMENT_DEFAULTS:
        return raw
    return _merge(ENVIRONMENT_DEFAULTS[environment], raw)
