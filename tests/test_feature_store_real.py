"""The feature store for real, on 127.0.0.1: a Redis server with a password (Debian's redis-server; Feast's
sqlite online store where none is installed), the feature_store.yaml the ConfigMap carries (built by
manifests/feature_store/config.py, only the host and registry path changed), a small feature repository
applied and materialised with the Feast SDK (tests/feast_repo/repo.py, in .venv-feast), then read back through
`feast serve`, started with the Deployment's own command (facts/feast.py serve_command), asking for the
feature service a catalogue entry names. The password reaches Feast only through REDIS_PASSWORD.

Needs the Feast venv (`make feast-venv`, feature_store/requirements.txt; MLOPS_FEAST_VENV points elsewhere)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from catalogue.schema import ModelSpec
from facts import feast
from manifests.feature_store.config import feature_store_yaml
from plan.feature_store import FeatureStorePlan
from tests.conftest import PROJECT_DIR

FEAST_VENV = Path(os.environ.get("MLOPS_FEAST_VENV", PROJECT_DIR / ".venv-feast"))
REDIS_SERVER = shutil.which("redis-server")
START_TIMEOUT = 90  # seconds: importing Feast and reading the registry, on a loaded 2-core machine

pytestmark = pytest.mark.skipif(
    not (FEAST_VENV / "bin" / "feast").exists(),
    reason=f"no Feast venv at {FEAST_VENV}: create it with `make feast-venv` (feature_store/requirements.txt)",
)


def _local_plan() -> FeatureStorePlan:
    return FeatureStorePlan("feature-store", "mlops", 1, "local", gke=False, kubernetes_minor=33, readers=())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _reader() -> ModelSpec:
    """A catalogue entry that reads features: the models/ entry of churn-prediction plus `features:`."""
    entry = yaml.safe_load((PROJECT_DIR / "models" / "churn-prediction.yaml").read_text())
    entry["features"] = {"service": "churn_features_v1", "entityKey": "customer_id"}
    return ModelSpec.model_validate(entry)


def _redis_reply(port: int, command: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(command)
        return s.recv(256)


@pytest.fixture
def online_store(tmp_path) -> Iterator[tuple[dict, str]]:
    """(the online_store section of feature_store.yaml, the password) with a server behind it, stopped after."""
    password = secrets.token_hex(16)  # hex: Feast splits its connection string on ',' and '='
    if REDIS_SERVER is None:
        yield {"type": "sqlite", "path": str(tmp_path / "online.db")}, password
        return
    port = _free_port()
    redis = subprocess.Popen(
        [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(port), "--requirepass", password, "--save", ""],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                # No password, no data: the server the store writes to really enforces AUTH.
                assert _redis_reply(port, b"PING\r\n").startswith(b"-NOAUTH")
                break
            except OSError:
                if time.monotonic() > deadline or redis.poll() is not None:
                    raise
                time.sleep(0.2)
        config = yaml.safe_load(feature_store_yaml(_local_plan(), "127.0.0.1", port, tls=False))
        yield config["online_store"], password
    finally:
        _stop(redis)


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _wait_healthy(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"feast serve exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url + feast.HEALTH_PATH, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"feast serve was not healthy within {START_TIMEOUT} s")


def test_features_applied_materialised_and_served_under_the_catalogues_service_name(online_store, tmp_path):
    online, password = online_store
    model = _reader()
    assert model.features is not None
    registry = str(tmp_path / "registry.db")
    config = yaml.safe_load(feature_store_yaml(_local_plan(), "127.0.0.1", 6379, tls=False, registry_path=registry))
    config["online_store"] = online
    config_path = tmp_path / feast.CONFIG_FILE
    config_path.write_text(yaml.safe_dump(config))
    assert password not in config_path.read_text()  # the file holds ${REDIS_PASSWORD}, the env holds the value
    env = {**os.environ, feast.PASSWORD_ENV: password, "HOME": str(tmp_path)}

    applied = subprocess.run(
        [
            str(FEAST_VENV / "bin" / "python"),
            str(PROJECT_DIR / "tests" / "feast_repo" / "repo.py"),
            str(config_path),
            str(tmp_path),
            model.features.service,
            model.features.entity_key,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert applied.returncode == 0, applied.stderr[-3000:]
    written = json.loads(applied.stdout.strip().splitlines()[-1])

    port = _free_port()
    command = feast.serve_command(str(config_path), port=port, host="127.0.0.1")
    server = subprocess.Popen(
        [str(FEAST_VENV / "bin" / command[0]), *command[1:]],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, server)
        answer = _post(
            url + feast.ONLINE_FEATURES_PATH,
            {"feature_service": model.features.service, "entities": {model.features.entity_key: [1001, 1003, 4242]}},
        )
        names = answer["metadata"]["feature_names"]
        values = {name: column["values"] for name, column in zip(names, answer["results"], strict=True)}
        assert values[model.features.entity_key] == [1001, 1003, 4242]
        assert values["tenure_months"][:2] == [written["1001"]["tenure_months"], written["1003"]["tenure_months"]]
        assert values["monthly_spend"][:2] == [written["1001"]["monthly_spend"], written["1003"]["monthly_spend"]]
        # A customer never materialised comes back empty, not with another customer's values.
        assert values["tenure_months"][2] is None and values["monthly_spend"][2] is None
        # A service the repository does not define is an error, not an empty answer.
        with pytest.raises(urllib.error.HTTPError):
            _post(
                url + feast.ONLINE_FEATURES_PATH,
                {"feature_service": "no_such_service", "entities": {"customer_id": [1001]}},
            )
    finally:
        _stop(server)
