"""Registering demo versions idempotently, shared by the trained models (ops/demo/trained_models.py) and
the GPU stand-ins (ops/demo/stand_ins.py): each version is tagged `demo.seed=<fingerprint of its spec>` AT
CREATION (create_model_version with tags, so a crash cannot leave an untagged duplicate); a rerun finds it
and registers nothing new. Reused by tests/mlflow_server.py.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass

DEMO_EXPERIMENT = "mlops-platform-demo"
SEED_TAG = "demo.seed"


@dataclass(frozen=True)
class SeededVersion:
    model: str
    alias: str
    version: str
    metrics: dict
    created: bool  # False when found from an earlier run


_QUIET = "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"


@contextlib.contextmanager
def tracking_scope(uri: str) -> Iterator[None]:
    """mlflow's fluent API (start_run, log_model) only knows the global tracking URI, and
    mlflow.set_tracking_uri also exports MLFLOW_TRACKING_URI to os.environ. Restore both afterwards, so
    seeding does not redirect everything else in this process (tests, the provider's env override)."""
    import mlflow
    from mlflow.tracking._tracking_service import utils as tracking_utils

    previous_global = tracking_utils._tracking_uri  # None when never set: get_tracking_uri() would invent one
    previous_env = os.environ.get("MLFLOW_TRACKING_URI")
    previous_quiet = os.environ.get(_QUIET)
    mlflow_logger = logging.getLogger("mlflow")
    previous_level = mlflow_logger.level
    # Seeding logs a run per version: without this, every one prints its URL and a "waiting" line.
    os.environ[_QUIET] = "true"
    mlflow_logger.setLevel(logging.WARNING)
    mlflow.set_tracking_uri(uri)
    try:
        yield
    finally:
        if previous_global is None:
            tracking_utils._tracking_uri = None  # unset, as before (set_tracking_uri takes no None)
        else:
            mlflow.set_tracking_uri(previous_global)
        mlflow_logger.setLevel(previous_level)
        if previous_quiet is None:
            os.environ.pop(_QUIET, None)
        else:
            os.environ[_QUIET] = previous_quiet
        if previous_env is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = previous_env


def register_version(
    client, registered_name: str, source: str, run_id: str, tags: dict, model_id: str | None = None
) -> str:
    """Registers a new version WITH its tags (one call: they exist from its first moment); creates the
    registered model on first use. Returns the version number."""
    from mlflow.exceptions import MlflowException

    try:
        client.create_registered_model(registered_name)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
    mv = client.create_model_version(
        registered_name,
        source=source,
        run_id=run_id,
        tags={k: str(v) for k, v in tags.items()},
        model_id=model_id,
        await_creation_for=0,
    )  # the server registers synchronously: nothing to wait for
    return str(mv.version)


def find_version_by_tag(registry, name: str, key: str, value: str) -> dict | None:
    """The version of `name` tagged key=value, via our paged REST client; None if none (or no model)."""
    from registry.client import tags_of

    for mv in registry.search_versions(name):
        if tags_of(mv).get(key) == value:
            return mv
    return None


def seed_version(registry, name: str, alias: str, mark: str, register) -> SeededVersion:
    """The version of `name` fingerprinted `mark`, registered through `register() -> (version, metrics)`
    only if it is not there yet; then `alias` points at it. Idempotent."""
    from registry.client import metrics_of

    found = find_version_by_tag(registry, name, SEED_TAG, mark)
    if found:
        seeded = SeededVersion(name, alias, str(found["version"]), metrics_of(registry.get_run(found["run_id"])), False)
    else:
        version, metrics = register()
        seeded = SeededVersion(name, alias, version, metrics, True)
    registry.set_alias(name, alias, seeded.version)
    return seeded
