"""Bad requests against the real MLServer with our runtime: a 4xx with the reason, never a 500, and the
metrics stay consistent (issue 20). One server on 127.0.0.1, serving a real sklearn model version from the
test MLflow registry (tests/mlflow_server.py).

Every refused request must leave the quality signals untouched (no confidence observation, no class
count, no sample line) and be counted by MLServer as a failure when it reached the model; a good request
afterwards must still be served and recorded, so "untouched" is not the recorder being dead.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

import pytest
import requests

from benchmarks.serving_servers import MODEL_NAME, OUR_RUNTIME, SERVING_VENV, start
from facts.quality_metrics import PREDICTION_CONFIDENCE, PREDICTIONS, RECORDS_DROPPED
from facts.quality_samples import SAMPLE_MARKER
from ops.demo.trained_models import DEMO_MODELS, log_and_register, make_data

pytestmark = pytest.mark.skipif(
    not (SERVING_VENV / "bin" / "mlserver").exists(),
    reason=f"no serving venv at {SERVING_VENV}: create it with `make serving-venv` (serving_runtime/requirements.txt)",
)


@pytest.fixture(scope="module")
def server(mlflow_server, trained_estimator, tmp_path_factory):
    """Our runtime serving a real model version of the test registry, downloaded as the init container does."""
    from mlflow import MlflowClient
    from mlflow.artifacts import download_artifacts

    root = tmp_path_factory.mktemp("hardening")
    estimator, example = trained_estimator
    name = f"hardening-{uuid.uuid4().hex[:8]}"
    version = log_and_register(mlflow_server.uri, name, estimator, {"accuracy": 0.87}, tags={}, example=example)
    source = MlflowClient(mlflow_server.uri).get_model_version_download_uri(name, version)
    model_dir = download_artifacts(artifact_uri=source, dst_path=str(root / "model"), tracking_uri=mlflow_server.uri)
    rows = make_data(DEMO_MODELS[0].data)[1]
    process = start("ours", OUR_RUNTIME, Path(model_dir), root, sample_rate=1.0)
    try:
        yield process, rows
    finally:
        process.stop()


def _v2(data, shape, datatype="FP64") -> str:
    return json.dumps({"inputs": [{"name": "input-0", "shape": shape, "datatype": datatype, "data": data}]})


def _post(server, body: str) -> requests.Response:
    return requests.post(
        f"{server.base}/v2/models/{MODEL_NAME}/infer",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=120,
    )


def _totals(server) -> dict[str, float]:
    """Every series' value summed over its labels (the server serves one model version)."""
    totals: dict[str, float] = {}
    for match in re.finditer(r"^(\w+)(?:\{[^}]*\})? (\S+)$", requests.get(server.metrics, timeout=10).text, re.M):
        totals[match.group(1)] = totals.get(match.group(1), 0.0) + float(match.group(2))
    return totals


def _samples_logged(server) -> int:
    return server.log.read_text(errors="replace").count(SAMPLE_MARKER)


def _settled(server) -> dict[str, float]:
    """The metrics once the recorder's background batch (every 0.5 s) has run."""
    time.sleep(1.5)
    return _totals(server)


ROW = [0.1 * i for i in range(20)]
# (case, body, expected status, a fragment of the reason, reaches the model's predict)
BAD_REQUESTS = [
    ("not JSON", "{nope", 422, "JSON decode error", False),
    ("no inputs", json.dumps({"id": "x"}), 422, "Field required", False),
    ("unknown datatype", _v2(ROW, [1, 20], "FP99"), 422, "datatype", False),
    ("NaN literal", _v2(ROW, [1, 20]).replace("0.0,", "NaN,", 1), 422, "JSON decode error", False),
    (
        "wrong feature count",
        _v2(ROW[:5], [1, 5]),
        400,
        "has 5 features per row (shape [1, 5]), the model takes 20",
        True,
    ),
    ("data does not fill its shape", _v2(ROW, [1, 19]), 400, "has 20 values, its shape [1, 19] needs 19", True),
    ("NaN as a string", _v2(["NaN"] + ROW[1:], [1, 20]), 400, "holds NaN or infinity (rows 0)", True),
    ("infinity as a string", _v2(ROW + ["-inf"] + ROW[1:], [2, 20]), 400, "holds NaN or infinity (rows 1)", True),
    ("text in a float tensor", _v2(["a"] * 20, [1, 20]), 400, "could not convert string to float", True),
    ("10 MB body", _v2(ROW * 52_000, [52_000, 20]), 413, "more than 250000 values", True),
]


def test_bad_requests_get_a_4xx_with_the_reason_and_leave_the_signals_untouched(server):
    server, rows = server
    before, logged = _settled(server), _samples_logged(server)
    reached_model = 0
    for case, body, status, reason, reaches in BAD_REQUESTS:
        response = _post(server, body)
        assert response.status_code == status, f"{case}: {response.status_code} {response.text[:300]}"
        assert reason in response.text, f"{case}: {response.text[:300]}"
        reached_model += reaches
    assert len(BAD_REQUESTS[-1][1]) > 10_000_000
    after = _settled(server)
    confidence, predictions = f"{PREDICTION_CONFIDENCE.name}_count", PREDICTIONS.name
    assert after.get(confidence, 0) == before.get(confidence, 0)
    assert after.get(predictions, 0) == before.get(predictions, 0)
    assert after.get(RECORDS_DROPPED.name, 0) == before.get(RECORDS_DROPPED.name, 0) == 0
    assert _samples_logged(server) == logged
    # MLServer counts a failure for each refusal that reached the model, and no success.
    assert after["model_infer_request_failure_total"] - before.get("model_infer_request_failure_total", 0) == (
        reached_model
    )
    assert after.get("model_infer_request_success_total", 0) == before.get("model_infer_request_success_total", 0)

    good = _post(server, _v2(rows[0].tolist(), [1, 20]))
    assert good.status_code == 200, good.text
    served = _settled(server)
    assert served[confidence] == before.get(confidence, 0) + 1
    assert served[predictions] == before.get(predictions, 0) + 1
    assert served["model_infer_request_success_total"] == before.get("model_infer_request_success_total", 0) + 1
    assert _samples_logged(server) == logged + 1
