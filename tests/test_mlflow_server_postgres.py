"""The stack's MLflow server for real: PostgreSQL on 127.0.0.1 and `mlflow server` run with the backend URI
shape and the flags the Deployment uses (the same pure functions build both), a model registered and
resolved through our provider, then both servers restarted: nothing is lost.

Needs PostgreSQL's `initdb` and `postgres` (this machine image ships them; CI installs Debian's postgresql)
and psycopg2 (requirements-test.txt). Every server is stopped in a finally.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from facts.mlflow_client_env import REGISTRY_ENV
from facts.mlflow_server import AUTH_CONFIG_FILE
from manifests.mlflow_server.server_args import BACKEND_URI_ENV, auth_config_ini, backend_store_uri, server_args
from ops.demo.local_process import free_port
from ops.demo.trained_models import log_and_register
from registry.client import MlflowRegistryClient
from registry.first_registration import awaiting_first_registration
from tests.mlflow_server import FULL_EVIDENCE
from tests.provider_harness import checked, configured, news

ADMIN = "admin"  # mlflowUsername's default
PG_BIN_DIRS = ("/usr/local/bin", *sorted(str(p) for p in Path("/usr/lib/postgresql").glob("*/bin")))
START_TIMEOUT = 120.0


def _pg_binary(name: str) -> str | None:
    for directory in PG_BIN_DIRS:
        candidate = Path(directory) / name
        if candidate.exists():
            return str(candidate)
    return shutil.which(name)


def _as_postgres_user() -> dict:
    """PostgreSQL refuses to run as root: as root (CI, this machine) run it as the `postgres` user."""
    if os.geteuid() != 0:
        return {}
    import pwd

    user = pwd.getpwnam("postgres")
    return {"user": user.pw_uid, "group": user.pw_gid}


def _wait_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {START_TIMEOUT}s")


def _stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


class Postgres:
    def __init__(self, root: Path):
        self.root, self.port, self.password = root, free_port(), secrets.token_urlsafe(18)
        self.data, self.process = root / "data", None
        self.user = _as_postgres_user()

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "pw").write_text(self.password)
        if self.user:
            for path in (self.root, self.root / "pw"):
                os.chown(path, self.user["user"], self.user["group"])
        subprocess.run(
            [
                _pg_binary("initdb"),
                "-D",
                str(self.data),
                "-U",
                "mlflow",
                "--auth=scram-sha-256",
                f"--pwfile={self.root / 'pw'}",
            ],
            check=True,
            capture_output=True,
            timeout=120,
            **self.user,
        )

    def start(self) -> None:
        log = self.root / "postgres.log"
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                [
                    _pg_binary("postgres"),
                    "-D",
                    str(self.data),
                    "-p",
                    str(self.port),
                    "-h",
                    "127.0.0.1",
                    "-k",
                    str(self.root),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                **self.user,
            )
        _wait_port(self.port, self.process, log)

    def create_database(self) -> None:
        import psycopg2

        deadline = time.monotonic() + 30
        while True:  # the port opens a moment before the server accepts logins
            try:
                db = psycopg2.connect(
                    host="127.0.0.1", port=self.port, user="mlflow", password=self.password, dbname="postgres"
                )
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        db.autocommit = True
        with db.cursor() as cursor:
            cursor.execute("CREATE DATABASE mlflow")
        db.close()

    def stop(self) -> None:
        _stop(self.process)


class Tracking:
    """`mlflow server` as the Deployment runs it: server_args() and MLFLOW_BACKEND_STORE_URI; with
    `admin_password`, the basic-auth app as the Deployment configures it (auth_config_ini() in the file
    MLFLOW_AUTH_CONFIG_PATH names, the admin's password and the Flask key from the environment)."""

    def __init__(self, root: Path, postgres: Postgres, admin_password: str | None = None):
        self.port, self.root, self.process = free_port(), root, None
        self.uri = f"http://127.0.0.1:{self.port}"
        hosts = (f"127.0.0.1:{self.port}", f"localhost:{self.port}")
        auth = admin_password is not None
        args = server_args(str(root / "artifacts"), hosts, workers=1, auth=auth, host="127.0.0.1", port=self.port)
        self.command = [sys.executable, "-m", *args]
        database_uri = backend_store_uri("127.0.0.1", postgres.port, postgres.password)
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in REGISTRY_ENV},
            BACKEND_URI_ENV: database_uri,
            "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        }
        if auth:
            root.mkdir(parents=True, exist_ok=True)
            config = root / AUTH_CONFIG_FILE
            config.write_text(auth_config_ini(database_uri, ADMIN))
            self.env |= {
                "MLFLOW_AUTH_CONFIG_PATH": str(config),
                "MLFLOW_AUTH_ADMIN_PASSWORD": admin_password,
                "MLFLOW_FLASK_SERVER_SECRET_KEY": secrets.token_urlsafe(32),
            }

    def start(self) -> None:
        log = self.root / "mlflow.log"
        self.root.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                self.command,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mlflow server exited:\n{log.read_text(errors='replace')[-3000:]}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.uri}/health", timeout=2).status_code == 200:
                    return
            time.sleep(0.3)
        raise RuntimeError(
            f"mlflow server not healthy after {START_TIMEOUT}s:\n{log.read_text(errors='replace')[-3000:]}"
        )

    def stop(self) -> None:
        _stop(self.process)


def _served_artifacts(uri: str) -> list[str]:
    """Every file the server holds, walked through its artifact proxy API (what clients see)."""
    found, pending = [], [""]
    while pending:
        path = pending.pop()
        answer = requests.get(f"{uri}/api/2.0/mlflow-artifacts/artifacts", params={"path": path}, timeout=10)
        answer.raise_for_status()
        for entry in answer.json().get("files", []):
            full = f"{path}/{entry['path']}" if path else entry["path"]
            (pending.append(full) if entry.get("is_dir") else found.append(full))
    return sorted(found)


@contextlib.contextmanager
def _postgres_and_mlflow(tmp_path: Path, admin_password: str | None = None) -> Iterator[tuple[Postgres, Tracking]]:
    missing = [name for name in ("initdb", "postgres") if _pg_binary(name) is None]
    if missing:
        pytest.skip(
            f"PostgreSQL's {', '.join(missing)} not found in {', '.join(PG_BIN_DIRS)} or PATH (CI installs Debian's postgresql)"
        )
    # Outside pytest's tmp_path: the `postgres` user cannot enter root's 0700 pytest directories.
    pg_root = Path(tempfile.mkdtemp(prefix="mlops-test-pg-"))
    postgres = Postgres(pg_root)
    tracking = Tracking(tmp_path / "mlflow", postgres, admin_password)
    try:
        postgres.init()
        postgres.start()
        postgres.create_database()
        tracking.start()
        yield postgres, tracking
    finally:
        tracking.stop()
        postgres.stop()
        shutil.rmtree(pg_root, ignore_errors=True)


@pytest.fixture
def postgres_mlflow(tmp_path) -> Iterator[tuple[Postgres, Tracking]]:
    with _postgres_and_mlflow(tmp_path) as servers:
        yield servers


def test_register_resolve_restart_and_nothing_is_lost(postgres_mlflow, trained_estimator, no_mlflow_env):
    postgres, tracking = postgres_mlflow
    estimator, _example = trained_estimator
    client = MlflowRegistryClient(tracking.uri, read_timeout=30)
    try:
        # An empty registry: the model waits for its first registration.
        assert awaiting_first_registration(client, [("churn-prediction", "churn-pg")]) == ("churn-prediction",)
        version = log_and_register(
            tracking.uri, "churn-pg", estimator, {"accuracy": 0.91, "f1_weighted": 0.9}, tags=FULL_EVIDENCE
        )
        client.set_alias("churn-pg", "champion", version)
        assert awaiting_first_registration(client, [("churn-prediction", "churn-pg")]) == ()
        provider = configured(tracking.uri)
        before = checked(provider, news("churn-pg"))
        artifacts_before = _served_artifacts(tracking.uri)
    finally:
        client.close()

    tracking.stop()
    postgres.stop()
    postgres.start()
    tracking.start()

    client = MlflowRegistryClient(tracking.uri, read_timeout=30)
    try:
        after = checked(configured(tracking.uri), news("churn-pg"))
        assert {k: after[k] for k in ("version", "run_id", "metrics", "tags")} == {
            k: before[k] for k in ("version", "run_id", "metrics", "tags")
        }
        assert after["version"] == version and after["metrics"]["accuracy"] == 0.91
        # The artifacts went through the server (--serve-artifacts) and are all still there after the restart.
        assert artifacts_before and _served_artifacts(tracking.uri) == artifacts_before
        # ... and they live in the --artifacts-destination, not in a client-side store.
        assert list((tracking.root / "artifacts").rglob("MLmodel"))
    finally:
        client.close()
