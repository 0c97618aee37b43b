"""Shared fixtures. The MLflow ones start a real `mlflow server` (tests/mlflow_server.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ops.engine import ProgramRun, run_program
from ops.render import RENDER_OVERRIDES
from ops.stack_config import load_stack_config, stack_names
from registry.resolution import CONFIG_URI

pytest_plugins = ["tests.mlflow_server", "tests.gke_engine", "tests.provider_harness"]

PROJECT_DIR = Path(__file__).resolve().parent.parent
STACKS = stack_names(PROJECT_DIR)


# Tiers (pytest.ini): decided from the fixtures a test uses, transitive ones included, so a new test
# lands in the right tier without remembering a decorator.
PROGRAM_FIXTURES = {"stack_runs", "rendered_local"}
PROGRAM_MODULES = {"test_program", "test_golden", "test_cli"}
REGISTRY_FIXTURES = {"mlflow_server", "registry_client", "make_model", "seeded_demo"}


def tier(item: pytest.Item) -> str:
    fixtures = set(getattr(item, "fixturenames", ()))
    module = item.module.__name__.rsplit(".", 1)[-1] if getattr(item, "module", None) else ""
    if fixtures & PROGRAM_FIXTURES or module in PROGRAM_MODULES:
        return "program"
    if fixtures & REGISTRY_FIXTURES:
        return "registry"
    return "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(tier(item))


def registry_overrides(uri: str) -> dict[str, str]:
    """Point a stack at the test registry, and never record test runs in it."""
    return {CONFIG_URI: uri, **RENDER_OVERRIDES}


@pytest.fixture(scope="session")
def stack_runs(mlflow_server, seeded_demo) -> dict[str, ProgramRun]:
    """The whole __main__.py, run once per stack file in the repository against the seeded registry."""
    return {
        stack: run_program(
            PROJECT_DIR, load_stack_config(PROJECT_DIR, stack, overrides=registry_overrides(mlflow_server.uri))
        )
        for stack in STACKS
    }
