"""The runtime's recorder on its own (no MLServer needed): bounded series, regressors, sampling, the rate."""

from __future__ import annotations

import io
import json
import random
import sys
from pathlib import Path

import numpy as np
import orjson
import pytest
from prometheus_client import REGISTRY

from facts.quality_metrics import PREDICTION_CONFIDENCE, PREDICTIONS, RECORDS_DROPPED
from facts.quality_samples import PredictionSample

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "serving_runtime"))  # as the image's PYTHONPATH
from mlops_serving_runtime.recorder import MAX_CLASSES, OTHER_CLASS, QualityRecorder, parse_sample_rate


def _count(model: str, predicted_class: str) -> float | None:
    return REGISTRY.get_sample_value(
        PREDICTIONS.name, {"model": model, "version": "1", "predicted_class": predicted_class}
    )


def test_classes_beyond_the_cap_count_as_other():
    recorder = QualityRecorder("many-classes", "1", sample_rate=0, classifier=True)
    recorder.record("r", None, list(range(MAX_CLASSES + 5)))
    assert _count("many-classes", str(MAX_CLASSES - 1)) == 1
    assert _count("many-classes", OTHER_CLASS) == 5


def test_regressor_outputs_feed_no_class_counter_and_no_confidence():
    recorder = QualityRecorder("regressor", "1", sample_rate=0, classifier=False)
    recorder.record("r", None, [0.25, 3.7])
    assert _count("regressor", "0.25") is None
    labels = {"model": "regressor", "version": "1"}
    assert REGISTRY.get_sample_value(f"{PREDICTION_CONFIDENCE.name}_count", labels) in (None, 0.0)


def test_sampling_follows_the_rate_and_writes_parseable_lines():
    out = io.StringIO()
    recorder = QualityRecorder("sampled", "1", sample_rate=0.3, classifier=True, rng=random.Random(7), out=out)
    rows = [[float(i), "a"] for i in range(1000)]
    written = recorder.record("req", rows, [i % 2 for i in range(1000)], [[0.4, 0.6]] * 1000)
    samples = [PredictionSample.from_line(line) for line in out.getvalue().splitlines()]
    assert written == len(samples) and 250 < written < 350
    assert all(s is not None and s.confidence == 0.6 and s.features == rows[s.row] for s in samples)


def test_sample_lines_hold_the_values_of_each_row_as_python_values():
    """The lines `_record` writes (rows from numpy's tolist(), orjson's path), rows of numpy scalars and the
    rows of an array (json's path) read back as the PredictionSample of the rows' Python values."""
    array = np.random.default_rng(2).normal(size=(3, 20)) * np.logspace(-300, 300, 20)
    names = [f"f{i}" for i in range(20)]
    recorder = QualityRecorder("lines", "4", sample_rate=1, classifier=True, feature_names=names)
    lines: list[str] = []
    for features in (array.tolist(), [list(r) for r in array], array):
        recorder.sample("req", features, np.array([0, 1, 1]), np.array([0.9, 0.6, 1 / 3]), lines)
    recorder.sample("other", [[np.int64(2), np.float32(0.1), "a"]], [np.int64(1)], None, lines)
    samples = [s for s in map(PredictionSample.from_line, lines) if s is not None]
    assert len(samples) == 10
    assert lines[0] == orjson.dumps(json.loads(lines[0])).decode() + "\n"  # orjson's path was taken
    assert [s.features for s in samples[:9]] == array.tolist() * 3
    assert [s.prediction for s in samples[:3]] == [0, 1, 1] and samples[2].confidence == 1 / 3
    assert all(s.feature_names == names and s.model == "lines" and s.version == "4" for s in samples[:9])
    assert samples[9] == PredictionSample(
        samples[9].time, "lines", "4", "other", 0, [2, 0.10000000149011612, "a"], 1, None, names
    )


@pytest.mark.parametrize("text, rate", [(None, 0.0), ("", 0.0), ("0.25", 0.25), ("1", 1.0)])
def test_sample_rate_from_the_environment(text, rate):
    assert parse_sample_rate(text) == rate


@pytest.mark.parametrize("text", ["1.5", "-0.1", "nan", "ten"])
def test_invalid_sample_rate_stops_the_model_loading(text):
    with pytest.raises(ValueError):
        parse_sample_rate(text)


def test_a_flood_keeps_the_pending_queue_at_its_cap_and_counts_the_rest():
    from mlops_serving_runtime.pending import Pending, PendingQueue

    queue = PendingQueue(max_rows=100)
    accepted = [queue.offer(Pending(f"r{i}", None, None, rows=1)) for i in range(10_000)]  # nobody drains
    assert queue.rows == queue.peak_rows == 100 and sum(accepted) == 100
    assert queue.dropped_rows == 9_900
    assert not queue.offer(Pending("big", None, None, rows=101)) and queue.dropped_rows == 10_001
    taken = queue.take_all()
    assert [p.request_id for p in taken] == [f"r{i}" for i in range(100)]  # the first ones, in order
    assert queue.rows == 0 and queue.offer(Pending("after", None, None, rows=1))


def test_dropped_rows_are_exported_per_model_and_version():
    recorder = QualityRecorder("flooded", "1", sample_rate=0, classifier=True)
    labels = {"model": "flooded", "version": "1"}
    assert REGISTRY.get_sample_value(RECORDS_DROPPED.name, labels) == 0
    recorder.dropped(7)
    assert REGISTRY.get_sample_value(RECORDS_DROPPED.name, labels) == 7


def _histogram(model: str) -> dict[str, float]:
    labels = {"model": model, "version": "1"}
    name = PREDICTION_CONFIDENCE.name
    values = {
        bound: REGISTRY.get_sample_value(f"{name}_bucket", {**labels, "le": bound})
        for bound in ["0.1", "0.5", "0.6", "0.7", "0.75", "0.99", "1.0", "+Inf"]
    }
    return values | {"count": REGISTRY.get_sample_value(f"{name}_count", labels)}


def test_a_batch_updates_the_histogram_as_observing_every_row_does():
    """The bulk update (one increment per bucket) against prometheus_client's own observe, value by value,
    bounds included (a value equal to a bound falls in that bound's bucket)."""
    rng = random.Random(3)
    values = [0.5, 0.7, 1.0, 0.0, 0.65, 0.7000001, 0.99] + [rng.random() for _ in range(500)]
    bulk = QualityRecorder("bulk", "1", sample_rate=0, classifier=True)
    assert bulk._bulk is not None  # the fast path is the one under test
    one_by_one = QualityRecorder("one-by-one", "1", sample_rate=0, classifier=True)
    one_by_one._bulk = None  # prometheus_client's observe per value
    half = len(values) // 2
    bulk.observe([([1] * half, np.array(values[:half])), ([0] * (len(values) - half), np.array(values[half:]))])
    one_by_one.observe([([1] * len(values), np.array(values))])
    assert _histogram("bulk") == _histogram("one-by-one") and _histogram("bulk")["count"] == len(values)
    name, labels = f"{PREDICTION_CONFIDENCE.name}_sum", {"model": "bulk", "version": "1"}
    assert REGISTRY.get_sample_value(name, labels) == pytest.approx(sum(values), rel=1e-12)


def test_a_batch_counts_classes_as_request_by_request_does_the_cap_included():
    """One counter update per class over a batch gives the counts, and the same classes past the cap
    (first come, first counted), as recording the requests one by one."""
    requests = [list(range(i, i + 30)) for i in range(0, 90, 15)] + [[3.0, 4.0], ["5", "x"]]
    batched = QualityRecorder("batched", "1", sample_rate=0, classifier=True)
    batched.observe([(np.asarray(r), None) for r in requests])
    single = QualityRecorder("single", "1", sample_rate=0, classifier=True)
    for r in requests:
        single.record("r", None, r)
    labels = {str(v) for r in requests for v in r} | {"3", "4", OTHER_CLASS}
    counts = {label: (_count("batched", label), _count("single", label)) for label in labels}
    assert all(a == b for a, b in counts.values()), counts
    assert _count("batched", OTHER_CLASS) == sum(len(r) for r in requests) - sum(
        c for label, (c, _) in counts.items() if label != OTHER_CLASS and c
    )
    assert _count("batched", OTHER_CLASS) > 0 and _count("batched", "3") == 2  # 3 and 3.0 are one class
