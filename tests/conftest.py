"""Shared fixtures. The MLflow ones start a real `mlflow server` (tests/mlflow_server.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from facts.mlflow_client_env import REGISTRY_ENV
from ops.offline.engine import run_program
from ops.offline.program_run import ProgramRun
from ops.offline.render import RENDER_OVERRIDES
from ops.stack_config import StackConfig, load_stack_config, stack_names
from registry.connection_keys import CONFIG_PASSWORD, CONFIG_URI
from settings.stack import config_key

pytest_plugins = ["tests.mlflow_server", "tests.gke_engine", "tests.provider_harness"]

PROJECT_DIR = Path(__file__).resolve().parent.parent
STACKS = stack_names(PROJECT_DIR)


# Tiers (pytest.ini): decided from the fixtures a test uses, transitive ones included, so a new test
# lands in the right tier without remembering a decorator.
PROGRAM_FIXTURES = {"stack_runs", "rendered_local"}
PROGRAM_MODULES = {"test_program", "test_golden", "test_cli"}
REGISTRY_FIXTURES = {"mlflow_server", "registry_client", "make_model", "seeded_demo", "postgres_mlflow", "auth_mlflow"}


def tier(item: pytest.Item) -> str:
    fixtures = set(getattr(item, "fixturenames", ()))
    module = item.module.__name__.rsplit(".", 1)[-1] if getattr(item, "module", None) else ""
    if fixtures & PROGRAM_FIXTURES or module in PROGRAM_MODULES:
        return "program"
    if fixtures & REGISTRY_FIXTURES:
        return "registry"
    return "unit"


@pytest.fixture(autouse=True)
def registry_env_unchanged():
    """Fails the test that leaves MLFLOW_TRACKING_URI/TOKEN/USERNAME/PASSWORD changed (mlflow.set_tracking_uri exports the
    URI): the provider honours the variable over stack config, so a leak silently redirects every later
    test's registry, as a closed-port test that then resolved against a live server showed."""
    before = {k: os.environ.get(k) for k in REGISTRY_ENV}
    yield
    after = {k: os.environ.get(k) for k in REGISTRY_ENV}
    for key, value in before.items():  # put it back first, so one leak fails one test, not the rest
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    assert after == before, f"the test changed {REGISTRY_ENV} in os.environ (use monkeypatch.setenv)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(tier(item))


def registry_overrides(uri: str) -> dict[str, str]:
    """Point a stack at the test registry, and never record test runs in it."""
    return {CONFIG_URI: uri, **RENDER_OVERRIDES}


# The password of the program's MLflow user (mlflowPassword) in the tests: the own server's admin.
ADMIN_PASSWORD = "adm-PROGRAM-7c41e09b2d"


def with_secrets(config: StackConfig, secrets: Mapping[str, str]) -> StackConfig:
    """`config` with `secrets` ("project:key" names) set as `pulumi config set --secret` would."""
    return StackConfig(config.stack, {**config.values, **secrets}, secret_keys=(*config.secret_keys, *secrets))


def own_server_config(
    stack: str, uri: str, overrides: Mapping[str, str] | None = None, password: str | None = ADMIN_PASSWORD, **server
) -> StackConfig:
    """`stack` provisioning its own MLflow server (mlflowServer fields in `server`), the program's registry at
    `uri`, and the admin's password set as a secret (None: not set)."""
    values = {**registry_overrides(uri), config_key("mlflowServer"): json.dumps({"enabled": True, **server})}
    config = load_stack_config(PROJECT_DIR, stack, overrides={**values, **(overrides or {})})
    return config if password is None else with_secrets(config, {CONFIG_PASSWORD: password})


@pytest.fixture(scope="session")
def stack_runs(mlflow_server, seeded_demo) -> dict[str, ProgramRun]:
    """The whole __main__.py, run once per stack file in the repository against the seeded registry."""
    return {
        stack: run_program(
            PROJECT_DIR, load_stack_config(PROJECT_DIR, stack, overrides=registry_overrides(mlflow_server.uri))
        )
        for stack in STACKS
    }
