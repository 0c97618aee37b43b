"""The values of the registry credentials Secret the stack's pods sign in with (plan/registry_credentials.py
decides whose): computed once, handed to every model's ModelServing and the delivery-metrics job."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.data.mlflow_server import MlflowServer
from facts import mlflow_client_env as env
from plan.registry_credentials import pod_credentials
from settings.pulumi_config import LoadedSettings


def credential_values(loaded: LoadedSettings, server: MlflowServer | None) -> Mapping[str, pulumi.Input[str]] | None:
    """Secret Outputs (the username of the reader too: it is the reader resource's output), keyed by the
    Secret's keys; None when the pods sign in with nothing."""
    settings = loaded.stack
    credentials = pod_credentials(settings)
    if credentials is None:
        return None
    if credentials.source == "reader":
        if server is None or server.reader is None:
            raise ValueError("the pods sign in as the own server's reader, which this run does not create")
        return {env.TRACKING_USERNAME: server.reader.username, env.TRACKING_PASSWORD: server.reader.password}
    if credentials.source == "program-user":
        if loaded.mlflow_password is None:
            raise ValueError("settings say mlflowPassword is set, but it was not read")
        return {env.TRACKING_USERNAME: settings.mlflow_username, env.TRACKING_PASSWORD: loaded.mlflow_password}
    if loaded.mlflow_token is None:
        raise ValueError("settings say mlflowToken is set, but it was not read")
    return {env.TRACKING_TOKEN: loaded.mlflow_token}
