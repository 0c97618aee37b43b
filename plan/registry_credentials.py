"""What the pods that read the registry sign in with: the model download init containers, the quality
monitors and the delivery-metrics job. Decided once from settings; the program fills in the values.

- the stack's own server (the pods' tracking URI is its Service) with basic auth: its read-only user (mlflowServer.readerUsername, a generated
  password), never the program's admin: a pod in a model namespace must not be able to move an alias;
- otherwise the program's own credentials, as MLflow's client would choose them: the basic-auth user when
  mlflowPassword is set, else the token (someone else's server: the platform cannot create users there);
- nothing: an open registry, or the bootstrap `up` (no model is served, the reader does not exist yet).

The Secret's keys are MLflow's own environment variables (facts/mlflow_client_env.py), so the pods' env
takes them one for one and the MLflow client in each pod reads them unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from facts import mlflow_client_env as env
from facts.mlflow_server import in_cluster_uri
from settings.stack import StackSettings

CREDENTIALS_SECRET = "mlflow-registry-credentials"
Source = Literal["reader", "program-user", "program-token"]


@dataclass(frozen=True)
class PodCredentials:
    source: Source

    @property
    def keys(self) -> tuple[str, ...]:
        """The Secret's keys, which are also the env vars the pods get."""
        return (env.TRACKING_TOKEN,) if self.source == "program-token" else env.BASIC_CREDENTIALS


def pod_credentials(settings: StackSettings) -> PodCredentials | None:
    server = settings.mlflow_server
    if server.enabled and settings.pods_tracking_uri == in_cluster_uri(server.namespace):
        if server.auth != "basic" or server.bootstrap:
            return None
        return PodCredentials("reader")
    if settings.has_mlflow_password:
        return PodCredentials("program-user")
    if settings.has_mlflow_token:
        return PodCredentials("program-token")
    return None
