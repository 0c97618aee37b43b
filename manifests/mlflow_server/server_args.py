"""The `mlflow server` command line and its configuration, as the Deployment runs it and as the real test
(tests/test_mlflow_server_postgres.py) runs it on 127.0.0.1: one function each, so the two cannot drift.

The backend store URI carries the database password, so it never appears in the command line or the pod
spec: the container gets it from MLFLOW_BACKEND_STORE_URI (the CLI's own environment variable for
--backend-store-uri [MLFLOW-CLI]), which Kubernetes composes from the password Secret with $(VAR).
"""

from __future__ import annotations

from urllib.parse import quote

from facts import mlflow_server as facts

BACKEND_URI_ENV = "MLFLOW_BACKEND_STORE_URI"
# Kubernetes expands $(NAME) in env values from variables defined before it in the same container.
PASSWORD_ENV = "MLFLOW_DATABASE_PASSWORD"
PASSWORD_REFERENCE = f"$({PASSWORD_ENV})"


def backend_store_uri(host: str, port: int, password: str, user: str = facts.DATABASE_USER) -> str:
    """postgresql+psycopg2://<user>:<password>@<host>:<port>/<database>. `password` is the value, or
    PASSWORD_REFERENCE for Kubernetes to substitute (kept as is: it is not quoted). The driver is named:
    SQLAlchemy 2.1 takes a bare postgresql:// to mean psycopg 3, which the `-full` image does not have
    (it has psycopg2 [MLFLOW-IMG]); the real test saw exactly that failure."""
    secret = password if password == PASSWORD_REFERENCE else quote(password, safe="")
    return f"postgresql+psycopg2://{quote(user, safe='')}:{secret}@{host}:{port}/{facts.DATABASE}"


def server_args(
    artifacts_destination: str,
    allowed_hosts: tuple[str, ...],
    *,
    workers: int,
    auth: bool,
    host: str = "0.0.0.0",
    port: int = facts.PORT,
) -> list[str]:
    """--serve-artifacts: clients upload and download through the server, so they never need bucket
    credentials; the server alone holds them (Workload Identity on GKE, the volume locally)."""
    args = [
        "mlflow",
        "server",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--serve-artifacts",
        "--artifacts-destination",
        artifacts_destination,
        "--allowed-hosts",
        ",".join(allowed_hosts),
    ]
    if auth:
        args += ["--app-name", "basic-auth"]
    return args


def auth_config_ini(database_uri: str, admin_username: str) -> str:
    """The basic-auth app's configuration [MLFLOW-AUTH]: its users live in the same database as the
    registry (its own tables and migration history, alembic_version_auth), so they survive restarts. No
    admin password here: it comes from MLFLOW_AUTH_ADMIN_PASSWORD."""
    return "\n".join(
        [
            "[mlflow]",
            f"default_permission = {facts.AUTH_DEFAULT_PERMISSION}",
            f"database_uri = {database_uri}",
            f"admin_username = {admin_username}",
            "authorization_function = mlflow.server.auth:authenticate_request_basic_auth",
            "",
        ]
    )
