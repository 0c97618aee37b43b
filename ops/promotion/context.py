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
from ops.stack_config import load_stack_config
from registry.client import MlflowRegistryClient
from registry.connection import connection_settings
from registry.connection_keys import CONFIG_READ_TIMEOUT, CONFIG_RETRIES, CONFIG_TOKEN, CONFIG_URI

DriverFactory = Callable[[str], Driver]  # stack name -> a Driver on that stack


class PromotionRefused(Exception):
    """A precondition failed; the message says which and what to do. Nothing was changed."""


@dataclass(frozen=True)
class StackContext:
    stack: str
    environment: str
    registry_config: dict[str, str]

    def client(self, environ=os.environ) -> MlflowRegistryClient:
        return connection_settings(self.registry_config, environ).client()


def stack_context(project_dir: Path, stack: str) -> StackContext:
    values = load_stack_config(project_dir, stack).values
    keys = (CONFIG_URI, CONFIG_TOKEN, CONFIG_READ_TIMEOUT, CONFIG_RETRIES)
    # Offline the token is a masked placeholder: MLFLOW_TRACKING_TOKEN from the environment supplies it.
    registry = {k: values[k] for k in keys if k in values and k != CONFIG_TOKEN}
    return StackContext(stack, values.get(config_key("environment"), stack), registry)


def model_spec(project_dir: Path, stack: str, model: str) -> ModelSpec:
    values = load_stack_config(project_dir, stack).values
    catalogue = load_catalogue(project_dir / values.get(config_key("modelsDir"), "models"))
    for spec in catalogue.models:
        if spec.name == model:
            return spec
    raise ConfigError(
        [Problem("models/", model, "no such model in the catalogue", f"use one of: {', '.join(catalogue.names())}")]
    )


def deployed(outputs: dict[str, Any], model: str, stack: str) -> dict[str, Any]:
    entry = (outputs.get("models") or {}).get(model)
    if not entry or not entry.get("version"):
        raise PromotionRefused(f"{model} is not deployed in stack {stack!r} (its `models` output has no version)")
    return dict(entry)
