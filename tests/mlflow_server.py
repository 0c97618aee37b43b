"""pytest fixtures around ONE real MLflow server per test session, and tiny real models registered in it.

Loaded by tests/conftest.py through `pytest_plugins = ["tests.mlflow_server"]`. The server start/stop
logic lives in ops/demo/local_mlflow.py and the training in ops/demo/trained_models.py, so tests, benchmark and demo
share one code path.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from dataclasses import dataclass, field

import pytest

from ops.demo.local_mlflow import LocalMlflow, start_local_mlflow
from ops.demo.registry import seed_demo_registry
from ops.demo.trained_models import DEMO_MODELS, log_and_register, train
from registry.client import MlflowRegistryClient

FULL_EVIDENCE = {"validation.data": "passed", "scan.max_cvss": "3.1", "compliance": "approved"}
TEST_EXPERIMENT = "mlops-platform-tests"


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory) -> LocalMlflow:
    """A real `mlflow server` (sqlite store, local artifacts) on a free 127.0.0.1 port; `.uri`."""
    server = start_local_mlflow(tmp_path_factory.mktemp("mlflow"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def registry_client(mlflow_server) -> MlflowRegistryClient:
    client = MlflowRegistryClient(mlflow_server.uri, read_timeout=30)
    yield client
    client.close()


@pytest.fixture(scope="session")
def trained_estimator():
    """One real sklearn model (the demo's churn champion), trained once; its artifact backs test versions."""
    spec = DEMO_MODELS[0]
    estimator, _metrics, example = train(spec.data, spec.versions[0])
    return estimator, example


@pytest.fixture(scope="session")
def seeded_demo(mlflow_server):
    """The demo catalogue (churn-prediction, fraud-detection) seeded once per session."""
    return seed_demo_registry(mlflow_server.uri)


@dataclass
class RegisteredModel:
    name: str
    versions: list[str] = field(default_factory=list)  # versions[0] is v1


@pytest.fixture
def make_model(mlflow_server, trained_estimator, request):
    """Factory: a uniquely named registered model whose versions are real logged models.

    make_model([{"metrics": {...}, "tags": {...}, "aliases": ["champion"]}, ...]) -> RegisteredModel.
    Defaults: accuracy/f1_weighted 0.9, the full evidence tags, no alias.
    """
    estimator, example = trained_estimator
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40]
    counter = iter(range(1000))

    def make(versions: list[dict], prefix: str | None = None) -> RegisteredModel:
        model = RegisteredModel(f"{prefix or slug}-{next(counter)}-{uuid.uuid4().hex[:6]}")
        client = MlflowRegistryClient(mlflow_server.uri, read_timeout=30)
        for spec in versions:
            metrics = spec.get("metrics", {"accuracy": 0.9, "f1_weighted": 0.9})
            tags = spec.get("tags", FULL_EVIDENCE)
            version = log_and_register(
                mlflow_server.uri, model.name, estimator, metrics, tags=tags, experiment=TEST_EXPERIMENT
            )
            model.versions.append(version)
            for alias in spec.get("aliases", []):
                client.set_alias(model.name, alias, version)
        client.close()
        return model

    return make


def force_version_status(server: LocalMlflow, name: str, version: str, status: str) -> None:
    """Puts a version in a registration state the OSS sqlite store never leaves it in.

    Registries with asynchronous registration (Databricks, Unity Catalog) show PENDING_REGISTRATION and
    FAILED_REGISTRATION for real; the OSS store writes READY at once and has no REST call to change
    status. So we set the row of the real server's real database: every answer still comes from the
    real server, nothing in the client or provider is replaced.
    """
    with sqlite3.connect(server.root / "mlflow.db") as db:
        updated = db.execute(
            "UPDATE model_versions SET status = ? WHERE name = ? AND version = ?", (status, name, int(version))
        ).rowcount
    if updated != 1:
        raise LookupError(f"no version {version} of {name} in {server.root / 'mlflow.db'}")
