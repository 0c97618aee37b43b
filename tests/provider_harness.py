"""Helpers and fixtures of the ModelVersion provider tests (a pytest plugin: tests/conftest.py)."""

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from facts.mlflow_client_env import REGISTRY_ENV
from registry.connection_keys import CONFIG_TOKEN, CONFIG_URI
from registry.provider import ModelVersionProvider
from registry.version_args import ModelVersionArgs

TOKEN = "tok-PROVIDER-5e2a91c0"
GATES = {
    "min_metrics": {"accuracy": 0.80},
    "champion": {"metrics": ["accuracy", "f1_weighted"], "margin": 0.01},
    "evidence": [
        {"tag": "validation.data", "equals": "passed"},
        {"tag": "scan.max_cvss", "max": 7.0},
        {"tag": "compliance", "equals": "approved"},
    ],
}


def acc(value):
    return {"metrics": {"accuracy": value, "f1_weighted": value}}


@pytest.fixture
def no_mlflow_env(monkeypatch):
    # MLFLOW_* env vars override stack config (as in MLflow's tools): keep the developer's out of the tests.
    for name in REGISTRY_ENV:
        monkeypatch.delenv(name, raising=False)


def configured(uri, **extra) -> ModelVersionProvider:
    provider = ModelVersionProvider()
    provider.configure(ConfigureRequest(Config({CONFIG_URI: uri, CONFIG_TOKEN: TOKEN, **extra}, "mlops-platform")))
    return provider


@pytest.fixture
def provider(mlflow_server):
    return configured(mlflow_server.uri)


def news(name, selector=None, gates=None, env="dev", record=True, model="churn-prediction"):
    return ModelVersionArgs(model, name, env, selector or {"alias": "champion"}, gates or {}, record).to_inputs()


def checked(provider, new, olds=None) -> dict:
    result = provider.check(olds or {}, new)
    assert result.failures == [], [f.reason for f in result.failures]
    return result.inputs


def failure(provider, new, olds=None):
    result = provider.check(olds or {}, new)
    assert len(result.failures) == 1, result.inputs
    return result.failures[0].property, result.failures[0].reason
