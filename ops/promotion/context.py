"""What promote and rollback need to know about a stack: its environment, registry, catalogue entry."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalogue.loader import load_catalogue
from catalogue.schema import ModelSpec
from core.config_keys import config_key
from core.problems import ConfigError, Problem
from ops.automation.driver import Driver
from ops.promotion.pins_file import pins_in
from ops.stack_config import load_stack_config
from registry.client import MlflowRegistryClient
from registry.connection import connection_settings
from registry.connection_keys import CONNECTION_KEYS, SECRET_CONNECTION_KEYS

DriverFactory = Callable[[str], Driver]  # stack name -> a Driver on that stack


class PromotionRefused(Exception):
    """A precondition failed; the message says which and what to do. Nothing was changed."""


@dataclass(frozen=True)
class StackContext:
    """One reading of a stack's file per operation: everything promote and rollback take from it."""

    stack: str
    environment: str
    registry_config: dict[str, str]
    models_dir: Path
    pins: dict[str, int]  # its `modelPins` as read (ops/promotion/pins_file.py writes them back)

    def client(self, environ=os.environ) -> MlflowRegistryClient:
        return connection_settings(self.registry_config, environ).client()

    def model_spec(self, model: str) -> ModelSpec:
        catalogue = load_catalogue(self.models_dir)
        for spec in catalogue.models:
            if spec.name == model:
                return spec
        raise ConfigError(
            [Problem("models/", model, "no such model in the catalogue", f"use one of: {', '.join(catalogue.names())}")]
        )


def stack_context(project_dir: Path, stack: str) -> StackContext:
    values = load_stack_config(project_dir, stack).values
    # Offline the secrets are ciphertext: the environment supplies them (MLFLOW_TRACKING_TOKEN, or
    # MLFLOW_TRACKING_USERNAME with MLFLOW_TRACKING_PASSWORD), as it does for MLflow's own client.
    registry = {k: values[k] for k in CONNECTION_KEYS if k in values and k not in SECRET_CONNECTION_KEYS}
    return StackContext(
        stack,
        values.get(config_key("environment"), stack),
        registry,
        project_dir / values.get(config_key("modelsDir"), "models"),
        pins_in(values),
    )


def deployed(outputs: dict[str, Any], model: str, stack: str) -> dict[str, Any]:
    entry = (outputs.get("models") or {}).get(model)
    if not entry or not entry.get("version"):
        raise PromotionRefused(f"{model} is not deployed in stack {stack!r} (its `models` output has no version)")
    return dict(entry)
