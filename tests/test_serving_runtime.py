"""The real MLServer with this repository's runtime, started exactly as the Deployment starts it.

A real sklearn model is logged to the test MLflow server (with its training reference), downloaded
with the init container's own command, and served by `mlserver start` from the serving venv
(.venv-serving, serving_runtime/requirements.txt) with the serving container's environment from
manifests/serving.py (ports and paths moved to a temporary directory and free 127.0.0.1 ports).
Predictions go in over the V2 REST API; /metrics is scraped and parsed; the samples the runtime wrote
to its log are fed to the quality monitor, which compares them with the reference from MLflow.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from catalogue.loader import load_catalogue
from catalogue.monitoring import Monitoring
from facts import quality_monitor_env as env
from facts.quality_metrics import DRIFT_SCORE, MODEL_LABEL, PREDICTION_CONFIDENCE, PREDICTIONS, VERSION_LABEL
from facts.quality_samples import PredictionSample
from facts.runtimes import MODEL_MOUNT
from manifests.serving import deployment_manifest
from ops.demo.trained_models import DEMO_MODELS, log_and_register, make_data, reference_data, train
from quality_monitor.config import MonitorConfig
from quality_monitor.export import exposition
from quality_monitor.monitor import run
from tests.test_serving_manifests import make_plan

PROJECT_DIR = Path(__file__).resolve().parent.parent
SERVING_VENV = Path(os.environ.get("MLOPS_SERVING_VENV", PROJECT_DIR / ".venv-serving"))
MLSERVER = SERVING_VENV / "bin" / "mlserver"
CHURN = next(m for m in load_catalogue(PROJECT_DIR / "models").models if m.name == "churn-prediction")

pytestmark = pytest.mark.skipif(
    not MLSERVER.exists(),
    reason=f"no serving venv at {SERVING_VENV}: create it with `make serving-venv` (serving_runtime/requirements.txt)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(mlflow_server, tmp_path_factory):
    """(catalogue entry, version, estimator, rows sent...) once the real server answers predictions."""
    root = tmp_path_factory.mktemp("serving")
    spec = DEMO_MODELS[0]
    estimator, _metrics, example = train(spec.data, spec.versions[0])
    registered = f"runtime-test-{uuid.uuid4().hex[:8]}"
    version = log_and_register(
        mlflow_server.uri,
        registered,
        estimator,
        {"accuracy": 0.87},
        tags={},
        example=example,
        reference=reference_data(spec.data),
    )
    # Every row sampled, so the log can be checked row by row.
    model = CHURN.model_copy(
        update={"registered_model": registered, "monitoring": Monitoring.model_validate({"sampleRate": 1.0})}
    )
    pod = deployment_manifest(make_plan(model=model, tracking_uri=mlflow_server.uri), version)["spec"]["template"][
        "spec"
    ]
    mount = root / "models"

    def local(text: str) -> str:
        return text.replace(MODEL_MOUNT, str(mount)).replace("/tmp/", f"{root}/")

    # The init container's command, with the project's MLflow client.
    download = pod["initContainers"][0]["command"]
    assert download[0] == "mlflow"
    subprocess.run(
        [str(PROJECT_DIR / ".venv" / "bin" / "mlflow"), *(local(a) for a in download[1:])],
        check=True,
        env={**os.environ, "MLFLOW_TRACKING_URI": mlflow_server.uri},
        capture_output=True,
        timeout=300,
    )

    server = pod["containers"][0]
    ports = {
        "MLSERVER_HTTP_PORT": _free_port(),
        "MLSERVER_GRPC_PORT": _free_port(),
        "MLSERVER_METRICS_PORT": _free_port(),
    }
    environ = {e["name"]: local(e["value"]) for e in server["env"]} | {k: str(v) for k, v in ports.items()}
    environ |= {
        "PATH": f"{SERVING_VENV / 'bin'}:/usr/bin:/bin",
        "HOME": str(root),
        # The image sets PYTHONPATH=/opt/mlops, holding facts/ and mlops_serving_runtime/.
        "PYTHONPATH": f"{PROJECT_DIR / 'serving_runtime'}:{PROJECT_DIR}",
    }
    command = [str(MLSERVER), *(local(a) for a in server["command"][1:])]
    log_path = root / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, env=environ, cwd=root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{ports['MLSERVER_HTTP_PORT']}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                pytest.fail(f"mlserver exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                if requests.get(f"{base}/v2/models/{model.name}/ready", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"mlserver not ready after 180 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(1)
        X_test = make_data(spec.data)[1]
        rows = X_test[:200]
        for i in range(4):
            batch = rows[i * 50 : (i + 1) * 50]
            response = requests.post(
                f"{base}/v2/models/{model.name}/infer",
                json={
                    "id": f"req-{i}",
                    "inputs": [
                        {
                            "name": "input-0",
                            "shape": list(batch.shape),
                            "datatype": "FP64",
                            "data": batch.ravel().tolist(),
                        }
                    ],
                },
                timeout=30,
            )
            assert response.status_code == 200, response.text
            assert response.json()["id"] == f"req-{i}"  # the id labels are joined on later
        # The runtime records in the background (mlops_serving_runtime/pending.py): every 0.5 s it records
        # what is pending, so wait until the 200 rows are in, then read metrics and log as they are.
        deadline = time.monotonic() + 30
        while True:
            metrics = requests.get(f"http://127.0.0.1:{ports['MLSERVER_METRICS_PORT']}/metrics", timeout=10).text
            counts = _samples_of(metrics, f"{PREDICTION_CONFIDENCE.name}_count")
            if sum(s.value for s in counts) >= 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        yield {
            "model": model,
            "version": version,
            "estimator": estimator,
            "rows": rows,
            "metrics": metrics,
            "log": log_path,
            "tracking_uri": mlflow_server.uri,
        }
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _samples_of(metrics: str, name: str) -> list:
    return [s for family in text_string_to_metric_families(metrics) for s in family.samples if s.name == name]


def test_confidence_histogram_has_every_prediction_with_model_and_version(served):
    probabilities = served["estimator"].predict_proba(served["rows"]).max(axis=1)
    labels = {MODEL_LABEL: "churn-prediction", VERSION_LABEL: served["version"]}
    (count,) = [s for s in _samples_of(served["metrics"], f"{PREDICTION_CONFIDENCE.name}_count") if s.labels == labels]
    (total,) = [s for s in _samples_of(served["metrics"], f"{PREDICTION_CONFIDENCE.name}_sum") if s.labels == labels]
    assert count.value == 200
    assert total.value == pytest.approx(probabilities.sum(), rel=1e-9)
    assert 0.5 <= total.value / count.value <= 1.0  # a binary classifier's top class is at least 0.5
    buckets = {s.labels["le"]: s.value for s in _samples_of(served["metrics"], f"{PREDICTION_CONFIDENCE.name}_bucket")}
    assert buckets["0.5"] == (probabilities <= 0.5).sum() and buckets["+Inf"] == 200


def test_prediction_distribution_counts_each_class(served):
    predicted = served["estimator"].predict(served["rows"])
    counts = {
        s.labels["predicted_class"]: s.value
        for s in _samples_of(served["metrics"], PREDICTIONS.name)
        if s.labels[MODEL_LABEL] == "churn-prediction" and s.labels[VERSION_LABEL] == served["version"]
    }
    assert counts == {str(c): float((predicted == c).sum()) for c in np.unique(predicted)}


def test_samples_in_the_log_are_the_served_rows(served):
    samples = [s for s in map(PredictionSample.from_line, served["log"].read_text().splitlines()) if s]
    assert len(samples) == 200
    by_key = {(s.request_id, s.row): s for s in samples}
    first = by_key[("req-0", 0)]
    assert first.features == pytest.approx(served["rows"][0].tolist())
    assert first.prediction == int(served["estimator"].predict(served["rows"][:1])[0])
    assert first.confidence == pytest.approx(served["estimator"].predict_proba(served["rows"][:1]).max())
    assert {s.version for s in samples} == {served["version"]}


def test_the_monitor_reads_the_runtime_samples_against_the_logged_reference(served):
    """Runtime and monitor together: held-out data from the training distribution shows no drift."""
    config = MonitorConfig.from_env(
        {
            env.MODEL: "churn-prediction",
            env.REGISTERED_MODEL: served["model"].registered_model,
            env.TRACKING_URI: served["tracking_uri"],
            env.SAMPLES_FILE: str(served["log"]),
        }
    )
    values = {
        (s.name, s.labels.get(VERSION_LABEL)): s.value
        for family in text_string_to_metric_families(exposition(run(config)))
        for s in family.samples
    }
    assert values[(DRIFT_SCORE.name, served["version"])] < CHURN.quality.max_drift
