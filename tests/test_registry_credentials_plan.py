"""Whose credentials the pods that read the registry get (plan/registry_credentials.py), and how the program's
own client signs in (registry/session.py): decided from settings, never from a guess."""

from __future__ import annotations

import base64

import pytest

from plan.registry_credentials import PodCredentials, pod_credentials
from registry.client import MlflowRegistryClient
from tests.addon_settings import stack_settings

SERVER = {"enabled": True}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, None),  # an open registry someone else runs, and no credentials
        ({"hasMlflowToken": True}, PodCredentials("program-token")),
        ({"hasMlflowToken": True, "hasMlflowPassword": True}, PodCredentials("program-user")),  # basic first
        ({"mlflowServer": SERVER, "hasMlflowPassword": True}, PodCredentials("reader")),  # never the admin
        ({"mlflowServer": {**SERVER, "bootstrap": True}, "hasMlflowPassword": True}, None),  # no reader yet
        ({"mlflowServer": {**SERVER, "auth": "none"}, "hasMlflowToken": True}, None),  # its own open server
        # pods pointed at another server than the stack's own: the program's credentials, as for any other
        (
            {
                "mlflowServer": SERVER,
                "hasMlflowPassword": True,
                "mlflowServingTrackingUri": "https://mlflow.example.com",
            },
            PodCredentials("program-user"),
        ),
    ],
)
def test_pod_credentials(overrides, expected):
    assert pod_credentials(stack_settings("dev", **overrides)) == expected


def test_the_secret_keys_are_mlflows_own_variables():
    assert PodCredentials("reader").keys == ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")
    assert PodCredentials("program-token").keys == ("MLFLOW_TRACKING_TOKEN",)


def _header(client: MlflowRegistryClient) -> str:
    return client._authorization


def test_the_client_sends_basic_credentials_when_both_are_set_else_the_token():
    both = MlflowRegistryClient("http://127.0.0.1:9", "tok-1", username="ci", password="pw-secret-123456")
    assert _header(both) == "Basic " + base64.b64encode(b"ci:pw-secret-123456").decode()
    assert _header(MlflowRegistryClient("http://127.0.0.1:9", "tok-1", username="ci")) == "Bearer tok-1"
    assert _header(MlflowRegistryClient("http://127.0.0.1:9")) == ""
    for client in (both, MlflowRegistryClient("http://127.0.0.1:9", "tok-1")):
        assert "pw-secret" not in repr(client) and "tok-1" not in repr(client)
    assert repr(both) == "MlflowRegistryClient('http://127.0.0.1:9', auth=basic)"
