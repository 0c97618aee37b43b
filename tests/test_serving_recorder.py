"""The runtime's recorder on its own (no MLServer needed): bounded series, regressors, sampling, the rate."""

from __future__ import annotations

import io
import random
import sys
from pathlib import Path

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
