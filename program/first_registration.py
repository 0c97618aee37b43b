"""On a stack that provisions its own MLflow server, the models its registry has no version of yet: they wait
for their first registration (one warning names them and says how to serve them) instead of failing `up`.

Only where the stack owns the registry: against someone else's server a missing model is a mistake in the
catalogue, and ModelVersion refuses it as before. A registry that does not answer still stops the run (one
problem, nothing registered): reading it as "empty" would delete every model a later `up` cannot reach.
"""

from __future__ import annotations

import pulumi

from catalogue.schema import ModelSpec
from core.problems import ConfigError, Problem
from registry.client import RegistryError
from registry.connection import connection_settings
from registry.first_registration import awaiting_first_registration
from settings.pulumi_config import LoadedSettings


def without_awaiting_models(loaded: LoadedSettings, models: tuple[ModelSpec, ...]) -> tuple[ModelSpec, ...]:
    connection = connection_settings(loaded.registry_config, loaded.registry_environ)
    try:
        client = connection.client()
        # Each request is bounded by the registry deadline (mlflowDeadlineSeconds), retries included.
        waiting = awaiting_first_registration(client, [(m.name, m.registered_model) for m in models])
    except RegistryError as err:
        raise ConfigError(
            [
                Problem(
                    f"Pulumi.{loaded.stack.stack}.yaml",
                    "mlops-platform:mlflowServer",
                    f"the stack's own registry could not be asked which models it has yet: {err.finding.message}",
                    err.fix or "make mlflowTrackingUri reach the stack's MLflow server (see docs/mlflow-server.md)",
                )
            ]
        ) from None
    if waiting:
        pulumi.log.warn(
            f"{len(waiting)} model(s) wait for their first registration in {client.display_uri} and are not "
            f"served yet: {', '.join(waiting)} (register a version and point its selector's alias at it, then "
            "run `pulumi up` again)"
        )
    return tuple(m for m in models if m.name not in waiting)
