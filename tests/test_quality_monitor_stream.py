"""The monitor at volume and when things go wrong (issues 19 and 20): streamed windows give the previous
results, the cap keeps a uniform sample, and every failure is one message with nothing pushed."""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from facts import quality_monitor_env as env
from facts.quality_metrics import ACCURACY, DRIFT_SCORE
from facts.quality_samples import PredictionSample
from quality_monitor.__main__ import main
from quality_monitor.config import MonitorConfig
from quality_monitor.drift import dataset_drift
from quality_monitor.errors import PushFailed
from quality_monitor.export import ModelQuality, push
from quality_monitor.monitor import run
from quality_monitor.reference import Reference
from quality_monitor.samples import parse_samples
from quality_monitor.window import ModelWindow

FEATURES = [f"x{i}" for i in range(6)]


def _lines(rows, version="3", model="churn", names=None) -> list[str]:
    now = time.time()
    return [
        PredictionSample(now, model, version, f"req-{i}", 0, list(row), i % 2, 0.8, names).to_line()
        for i, row in enumerate(rows)
    ]


def _reference(seed=1) -> Reference:
    return Reference(FEATURES, np.random.default_rng(seed).normal(0, 1, (1000, 6)).tolist())


def _environ(samples_file, **extra) -> dict[str, str]:
    return {env.MODEL: "churn", env.REGISTERED_MODEL: "churn", env.TRACKING_URI: "http://unused",
            env.SAMPLES_FILE: str(samples_file), **extra}  # fmt: skip


def test_streamed_window_gives_the_scores_of_the_whole_list(tmp_path):
    rng = np.random.default_rng(2)
    rows = rng.normal(0, 1, (5000, 6))
    rows[:, :2] += 0.4
    path = tmp_path / "server.log"
    path.write_text("\n".join(["INFO plain line", *_lines(rows), *_lines(rows[:50], model="other")]) + "\n")
    reference = _reference()
    config = MonitorConfig.from_env(_environ(path))
    (streamed,) = run(config, lambda version: reference).versions
    with path.open() as handle:  # the previous path: every sample in a list, the columns as lists
        listed = dataset_drift(FEATURES, reference.rows, [s.features for s in parse_samples(handle, "churn", 0)])
    assert streamed.drift.samples == listed.samples == 5000
    assert [(f.score, f.p_value, f.drifted) for f in streamed.drift.features] == [
        (f.score, f.p_value, f.drifted) for f in listed.features
    ]
    assert streamed.drift.score == listed.score == pytest.approx(2 / 6)


def test_categorical_values_in_the_stream_are_compared_by_frequency():
    window = ModelWindow()
    for i in range(400):
        window.add("1", [float(i % 7), "a" if i % 10 else "b"])
    kept = window.versions["1"].rows
    assert kept.dtype == object and kept.shape == (400, 2)
    assert kept[:, 1].tolist().count("b") == 40


def test_past_the_cap_the_window_keeps_a_uniform_sample_of_every_row():
    window = ModelWindow(cap=1000)
    for i in range(20_000):
        window.add("1", [float(i)])
    group = window.versions["1"]
    kept = group.rows[:, 0]
    assert group.seen == 20_000 and len(kept) == 1000 and len(set(kept)) == 1000
    assert set(kept) <= set(map(float, range(20_000)))
    # uniform over the stream: each twentieth of it holds about 50 of the 1000 (binomial sd 7)
    per_part = np.histogram(kept, bins=20, range=(0, 20_000))[0]
    assert per_part.min() > 20 and per_part.max() < 85


def test_a_window_past_the_cap_scores_like_the_whole_window(tmp_path):
    rng = np.random.default_rng(3)
    rows = rng.normal(0, 1, (6000, 6))
    rows[:, 0] += 0.5
    path = tmp_path / "server.log"
    path.write_text("\n".join(_lines(rows)) + "\n")
    reference = _reference()
    capped = run(MonitorConfig.from_env(_environ(path, **{env.MAX_SAMPLES: "1500"})), lambda v: reference)
    whole = dataset_drift(FEATURES, reference.rows, rows.tolist())
    (version,) = capped.versions
    assert version.drift.samples == 1500
    for mine, full in zip(version.drift.features, whole.features, strict=True):
        assert abs(mine.score - full.score) < 0.05  # KS statistic error about 1/sqrt(1500)
    assert version.drift.score == whole.score == pytest.approx(1 / 6)


class _Gateway(BaseHTTPRequestHandler):
    """Stands in for the Pushgateway (none runs here): records pushes, answers `status` or hangs."""

    status = 200
    hang = 0.0
    pushes: list[tuple[str, str]] = []

    def do_PUT(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        if self.hang:
            time.sleep(self.hang)
        self.pushes.append((self.path, body))
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    _Gateway.status, _Gateway.hang, _Gateway.pushes = 200, 0.0, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", _Gateway
    finally:
        server.shutdown()
        server.server_close()


def test_a_good_run_pushes_the_model_group(tmp_path, gateway):
    url, recorded = gateway
    path = tmp_path / "server.log"
    path.write_text("\n".join(_lines(np.random.default_rng(4).normal(0, 1, (300, 6)))) + "\n")
    assert main(_environ(path, **{env.PUSHGATEWAY_URL: url}), lambda v: _reference()) == 0
    ((where, body),) = recorded.pushes
    assert where == "/metrics/job/quality-monitor/model/churn" and DRIFT_SCORE.name in body


def test_no_samples_in_the_window_pushes_nothing(tmp_path, gateway, caplog):
    url, recorded = gateway
    path = tmp_path / "server.log"
    old = PredictionSample(time.time() - 7200, "churn", "3", "r", 0, [0.0] * 6, 1).to_line()  # before the window
    path.write_text(f"INFO started\n{old}\n")
    with caplog.at_level(logging.WARNING, "quality_monitor"):
        assert main(_environ(path, **{env.PUSHGATEWAY_URL: url}), lambda v: _reference()) == 0
    assert f"churn: no samples in the last 3600 s of {path}: nothing to publish, nothing pushed" in caplog.text
    assert recorded.pushes == []


def test_samples_that_do_not_match_the_reference_stop_the_run_before_any_push(tmp_path, gateway, caplog):
    url, recorded = gateway
    rows = np.random.default_rng(5).normal(0, 1, (300, 6)).tolist()
    path = tmp_path / "server.log"
    path.write_text("\n".join(_lines(rows[:290]) + _lines([r[:5] for r in rows[290:]])) + "\n")
    with caplog.at_level(logging.ERROR, "quality_monitor"):
        assert main(_environ(path, **{env.PUSHGATEWAY_URL: url}), lambda v: _reference()) == 2
    assert "churn v3: 10 of 300 samples have 5 features, the others 6; the reference has 6 (x0, x1" in caplog.text
    assert "re-log it" in caplog.text and "Traceback" not in caplog.text
    assert recorded.pushes == []

    named = tmp_path / "named.log"
    named.write_text("\n".join(_lines(rows, names=[f"f{i}" for i in range(6)])) + "\n")
    caplog.clear()
    with caplog.at_level(logging.ERROR, "quality_monitor"):
        assert main(_environ(named, **{env.PUSHGATEWAY_URL: url}), lambda v: _reference()) == 2
    assert "churn v3: samples name features ['f0', 'f1', 'f2', 'f3', 'f4', 'f5'], the reference ['x0'" in caplog.text
    assert recorded.pushes == []


def test_labels_that_never_arrive_give_no_accuracy_but_drift_is_published(tmp_path, gateway, caplog):
    url, recorded = gateway
    path = tmp_path / "server.log"
    path.write_text("\n".join(_lines(np.random.default_rng(6).normal(0, 1, (300, 6)))) + "\n")
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps({"request_id": "someone-else", "row": 0, "label": 1}) + "\n")
    environ = _environ(path, **{env.PUSHGATEWAY_URL: url, env.LABELS_URI: f"file://{labels}"})
    with caplog.at_level(logging.WARNING, "quality_monitor"):
        assert main(environ, lambda v: _reference()) == 0
    assert "churn v3: 0 of 300 samples have a label, below 50: no accuracy (no label has arrived" in caplog.text
    ((_, body),) = recorded.pushes
    assert DRIFT_SCORE.name in body and f"\n{ACCURACY.name}{{" not in body


def test_a_labels_source_that_cannot_be_read_is_one_message(tmp_path, gateway, caplog):
    url, recorded = gateway
    path = tmp_path / "server.log"
    path.write_text("\n".join(_lines(np.random.default_rng(7).normal(0, 1, (300, 6)))) + "\n")
    environ = _environ(path, **{env.PUSHGATEWAY_URL: url, env.LABELS_URI: f"file://{tmp_path}/missing.jsonl"})
    with caplog.at_level(logging.ERROR, "quality_monitor"):
        assert main(environ, lambda v: _reference()) == 2
    assert f"churn: cannot read labels from file://{tmp_path}/missing.jsonl" in caplog.text
    assert recorded.pushes == []


@pytest.mark.parametrize("failure", ["down", "error"])
def test_a_pushgateway_that_is_down_or_refuses_is_exit_code_3(tmp_path, gateway, caplog, failure):
    url, recorded = gateway
    if failure == "down":
        url = url.rsplit(":", 1)[0] + ":1"  # nothing listens on port 1
    else:
        recorded.status = 500
    path = tmp_path / "server.log"
    path.write_text("\n".join(_lines(np.random.default_rng(8).normal(0, 1, (300, 6)))) + "\n")
    with caplog.at_level(logging.ERROR, "quality_monitor"):
        assert main(_environ(path, **{env.PUSHGATEWAY_URL: url}), lambda v: _reference()) == 3
    assert f"churn: could not push to the Pushgateway at {url} (" in caplog.text
    assert "nothing was pushed, it keeps the values of the last successful run" in caplog.text
    assert "Traceback" not in caplog.text


def test_a_pushgateway_that_never_answers_is_bounded_by_the_timeout(gateway):
    url, recorded = gateway
    recorded.hang = 5.0
    start = time.monotonic()
    with pytest.raises(PushFailed, match="could not push to the Pushgateway .*timed out"):
        push(ModelQuality("churn"), url, timeout=0.5)
    assert time.monotonic() - start < 3
