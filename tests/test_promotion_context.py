"""The stack context of promote and rollback: one reading of the stack file carries every registry
connection key the provider reads (registry/connection_keys.py CONNECTION_KEYS), the catalogue and the pins."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.problems import ConfigError
from ops.promotion.context import stack_context
from registry.connection import connection_settings
from registry.connection_keys import CONFIG_PASSWORD, CONFIG_TOKEN, CONNECTION_KEYS

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _project(tmp_path: Path, config: str) -> Path:
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copytree(PROJECT_DIR / "models", tmp_path / "models")
    (tmp_path / "Pulumi.s.yaml").write_text(
        f"config:\n  mlops-platform:environment: staging\n{config}", encoding="utf-8"
    )
    return tmp_path


def test_every_connection_key_of_the_stack_reaches_the_registry_client_but_the_masked_token(tmp_path):
    project = _project(
        tmp_path,
        "  mlops-platform:mlflowTrackingUri: http://127.0.0.1:9\n"
        "  mlops-platform:mlflowTimeoutSeconds: 7\n"
        "  mlops-platform:mlflowRetries: 1\n"
        "  mlops-platform:mlflowDeadlineSeconds: 12\n"
        "  mlops-platform:mlflowToken:\n    secure: AAABAKx\n"
        "  mlops-platform:mlflowUsername: ci-deployer\n"
        "  mlops-platform:mlflowPassword:\n    secure: AAABAKy\n"
        '  mlops-platform:modelPins: {"churn-prediction": 3}\n',
    )
    context = stack_context(project, "s")
    assert set(context.registry_config) == set(CONNECTION_KEYS) - {CONFIG_TOKEN, CONFIG_PASSWORD}
    connection = connection_settings(context.registry_config, {})
    assert (connection.uri, connection.read_timeout, connection.retries, connection.deadline) == (
        "http://127.0.0.1:9",
        7.0,
        1,
        12.0,
    )
    # Offline the secrets are ciphertext: the environment supplies them, the user as a pair with its password.
    assert connection.token is None and connection.password is None and connection.username == "ci-deployer"
    from_ci = connection_settings(
        context.registry_config, {"MLFLOW_TRACKING_USERNAME": "ci", "MLFLOW_TRACKING_PASSWORD": "pw"}
    )
    assert (from_ci.username, from_ci.password) == ("ci", "pw")
    assert context.environment == "staging" and context.pins == {"churn-prediction": 3}
    assert context.model_spec("churn-prediction").name == "churn-prediction"
    with pytest.raises(ConfigError, match="no such model in the catalogue"):
        context.model_spec("no-such-model")
