"""The quality monitor for real: synthetic inputs with and without a shift, labelled samples, the
reference downloaded from a real MLflow server, and the exposition text it pushes parsed back."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from facts import quality_monitor_env as env
from facts.quality_metrics import ACCURACY, DRIFT_SCORE, FEATURE_DRIFT, MODEL_LABEL, VERSION_LABEL
from facts.quality_samples import DEFAULT_REFERENCE_ARTIFACT, PredictionSample
from ops.demo.trained_models import DEMO_MODELS, log_and_register, reference_data
from quality_monitor.config import MonitorConfig
from quality_monitor.drift import dataset_drift
from quality_monitor.export import exposition
from quality_monitor.labels import parse_labels
from quality_monitor.monitor import assess, run
from quality_monitor.reference import Reference
from quality_monitor.samples import PodLogs

CANARY_MAX_DRIFT, ROLLBACK_DRIFT = 0.3, 0.5  # catalogue defaults (catalogue/schema.py Quality)
FEATURES = [f"x{i}" for i in range(6)]


def _reference(rng: np.random.Generator, rows: int = 2000) -> Reference:
    return Reference(FEATURES, rng.normal(0, 1, (rows, len(FEATURES))).tolist())


def _samples(rows: np.ndarray, version: str = "3", predictions=None, model: str = "churn") -> list[PredictionSample]:
    now = time.time()
    return [
        PredictionSample(
            time=now,
            model=model,
            version=version,
            request_id=f"req-{i // 4}",
            row=i % 4,
            features=row.tolist(),
            prediction=int(predictions[i]) if predictions is not None else 0,
        )
        for i, row in enumerate(rows)
    ]


def _series(text: str) -> dict[tuple[str, tuple], float]:
    """{(name, sorted label items): value} of an exposition text, parsed by prometheus_client's parser."""
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def _config(**overrides) -> MonitorConfig:
    return MonitorConfig(model="churn", registered_model="churn", tracking_uri="http://unused", **overrides)


def test_unshifted_inputs_stay_below_the_canary_threshold():
    rng = np.random.default_rng(1)
    reference = _reference(rng)
    result = assess(_config(), _samples(rng.normal(0, 1, (400, 6))), lambda v: reference)
    text = exposition(result)
    series = _series(text)
    labels = ((MODEL_LABEL, "churn"), (VERSION_LABEL, "3"))
    assert series[(DRIFT_SCORE.name, labels)] < CANARY_MAX_DRIFT
    for name in FEATURES:
        # KS statistic of two samples of one distribution, 400 vs 2000 rows: well under 0.1.
        assert series[(FEATURE_DRIFT.name, tuple(sorted((*labels, ("feature", name)))))] < 0.1


def test_shifted_inputs_exceed_the_rollback_threshold_and_name_the_features():
    rng = np.random.default_rng(2)
    reference = _reference(rng)
    current = rng.normal(0, 1, (400, 6))
    current[:, :4] += 1.0  # four of six features move by one standard deviation
    series = _series(exposition(assess(_config(), _samples(current), lambda v: reference)))
    labels = ((MODEL_LABEL, "churn"), (VERSION_LABEL, "3"))
    assert series[(DRIFT_SCORE.name, labels)] == pytest.approx(4 / 6)
    assert series[(DRIFT_SCORE.name, labels)] > ROLLBACK_DRIFT
    per_feature = {n: series[(FEATURE_DRIFT.name, tuple(sorted((*labels, ("feature", n)))))] for n in FEATURES}
    assert all(per_feature[n] > 0.3 for n in FEATURES[:4])  # KS distance of a one-sigma shift is ~0.38
    assert all(per_feature[n] < 0.1 for n in FEATURES[4:])


def test_categorical_features_drift_by_frequency():
    reference = [["a"], ["b"]] * 500
    same = dataset_drift(["colour"], reference, [["a"], ["b"]] * 100)
    moved = dataset_drift(["colour"], reference, [["a"]] * 180 + [["b"]] * 20)
    assert same.score == 0 and same.features[0].score == pytest.approx(0)
    assert moved.score == 1 and moved.features[0].score == pytest.approx(0.4)


def test_each_version_is_judged_against_its_own_reference_and_small_groups_get_nothing():
    rng = np.random.default_rng(3)
    references = {"1": _reference(rng), "2": Reference(FEATURES, (rng.normal(0, 1, (2000, 6)) + 5).tolist())}
    samples = _samples(rng.normal(0, 1, (300, 6)), "1") + _samples(rng.normal(0, 1, (300, 6)), "2")
    samples += _samples(rng.normal(0, 1, (20, 6)), "3")  # below min_samples
    result = assess(_config(), samples, references.__getitem__)
    scores = {v.version: v.drift.score for v in result.versions if v.drift}
    assert scores == {"1": pytest.approx(0, abs=0.2), "2": 1.0}
    assert "3" not in {v.version for v in result.versions}


def test_labelled_samples_give_their_accuracy():
    rng = np.random.default_rng(4)
    truth = rng.integers(0, 2, 200)
    predicted = truth.copy()
    predicted[:30] = 1 - predicted[:30]  # 30 of 200 wrong: accuracy 0.85
    samples = _samples(rng.normal(0, 1, (200, 6)), predictions=predicted)
    # Labels of 160 of the sampled predictions (the first 30 wrong ones among them), plus labels of
    # predictions the monitor never sampled, which must not count.
    lines = [
        json.dumps({"request_id": s.request_id, "row": s.row, "label": int(truth[i])}) for i, s in enumerate(samples)
    ]
    lines = lines[:160] + [json.dumps({"request_id": "unsampled", "row": 0, "label": 1})]
    result = assess(_config(min_labelled=50), samples, lambda v: _reference(rng), parse_labels(lines))
    series = _series(exposition(result))
    assert series[(ACCURACY.name, ((MODEL_LABEL, "churn"), (VERSION_LABEL, "3")))] == pytest.approx(130 / 160)


def test_too_few_labels_publish_no_accuracy():
    rng = np.random.default_rng(5)
    samples = _samples(rng.normal(0, 1, (200, 6)))
    labels = parse_labels([json.dumps({"request_id": samples[0].request_id, "row": samples[0].row, "label": 0})])
    text = exposition(assess(_config(min_labelled=50), samples, lambda v: _reference(rng), labels))
    assert ACCURACY.name not in {name for name, _ in _series(text)}


def test_monitor_downloads_the_reference_the_demo_training_logged(mlflow_server, trained_estimator, tmp_path):
    """End to end: a version logged with its reference CSV in a real MLflow server, samples in a
    JSON-lines file standing in for the pod log, `run` as the CronJob runs it."""
    estimator, _ = trained_estimator
    spec = DEMO_MODELS[0]
    names, rows = reference_data(spec.data)
    version = log_and_register(
        mlflow_server.uri, "quality-monitor-e2e", estimator, {"accuracy": 0.9}, tags={}, reference=(names, rows)
    )
    rng = np.random.default_rng(6)
    served = np.array(rows)[rng.choice(len(rows), 300)]
    shifted = served.copy()
    shifted[:, :12] += 2.0
    log = tmp_path / "server.log"
    lines = ["INFO: mlserver started", "not json {"]
    lines += [s.to_line() for s in _samples(served, version, model="quality-monitor-e2e")]
    lines += [s.to_line() for s in _samples(shifted, "999", model="other-model")]  # another model: ignored
    log.write_text("\n".join(lines) + "\n")
    config = MonitorConfig.from_env(
        {
            env.MODEL: "quality-monitor-e2e",
            env.REGISTERED_MODEL: "quality-monitor-e2e",
            env.TRACKING_URI: mlflow_server.uri,
            env.SAMPLES_FILE: str(log),
            env.REFERENCE_ARTIFACT: DEFAULT_REFERENCE_ARTIFACT,
        }
    )
    series = _series(exposition(run(config)))
    labels = ((MODEL_LABEL, "quality-monitor-e2e"), (VERSION_LABEL, version))
    assert series[(DRIFT_SCORE.name, labels)] < CANARY_MAX_DRIFT
    assert {dict(k[1])["feature"] for k in series if k[0] == FEATURE_DRIFT.name} == set(names)
    assert not any(dict(k[1]).get(MODEL_LABEL) == "other-model" for k in series)


def test_missing_configuration_is_one_clear_message():
    with pytest.raises(SystemExit, match=f"{env.MODEL}.*{env.TRACKING_URI}.*{env.SAMPLES_FILE}"):
        MonitorConfig.from_env({env.REGISTERED_MODEL: "x"})


class _FakeKubeApi(BaseHTTPRequestHandler):
    """Stands in for the Kubernetes API (no cluster here): pod list and pod logs, with the auth header."""

    pods = {"churn-abc": "plain log line\n", "churn-def": ""}
    seen: list[str] = []

    def do_GET(self):
        self.seen.append(self.path)
        if self.headers.get("Authorization") != "Bearer t0ken":
            self.send_response(401)
            self.end_headers()
            return
        if self.path.startswith("/api/v1/namespaces/ml-churn/pods?"):
            body = json.dumps({"items": [{"metadata": {"name": n}} for n in self.pods]}).encode()
        else:
            pod = self.path.split("/pods/")[1].split("/")[0]
            body = self.pods[pod].encode()
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_pod_logs_are_read_per_pod_with_container_and_window():
    sample = _samples(np.zeros((1, 3)))[0]
    _FakeKubeApi.pods = {"churn-abc": f"plain log line\n{sample.to_line()}\n", "churn-def": sample.to_line() + "\n"}
    _FakeKubeApi.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeKubeApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        logs = PodLogs(f"http://127.0.0.1:{server.server_port}", token="t0ken")
        found = logs.samples("ml-churn", "app.kubernetes.io/name=churn", "server", "churn", 600)
    finally:
        server.shutdown()
    assert found == [sample, sample]
    assert any("labelSelector=app.kubernetes.io%2Fname%3Dchurn" in p for p in _FakeKubeApi.seen)
    assert any(p.endswith("/pods/churn-abc/log?container=server&sinceSeconds=600") for p in _FakeKubeApi.seen)
