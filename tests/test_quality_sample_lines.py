"""The sample line (facts/quality_samples.py): written with orjson where it reads back exactly as json's
text, with json elsewhere and when orjson is not installed; read by PredictionSample.from_line (json) and
by the monitor (orjson) as the same values."""

from __future__ import annotations

import datetime
import json
import math
import random
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from facts import quality_samples
from facts.quality_samples import SAMPLE_MARKER, PredictionSample, json_line, sample_line

NAMES = [f"x{i}" for i in range(4)]


def _sample(features, prediction=1, confidence=0.8, names=None, **fields) -> PredictionSample:
    return PredictionSample(
        **{"time": 1764874168.123456, "model": "churn", "version": "3", "request_id": "req-1", "row": 0, **fields},
        features=features,
        prediction=prediction,
        confidence=confidence,
        feature_names=names,
    )


def _fields(sample: PredictionSample) -> dict:
    return {k: getattr(sample, k) for k in sample.__dataclass_fields__}


def _record(sample: PredictionSample) -> dict:
    return {SAMPLE_MARKER: 1, **_fields(sample)}


def _previous_line(sample: PredictionSample) -> str:
    """PredictionSample.to_line before orjson: the text the runtime wrote for plain values."""
    return json.dumps(_record(sample), separators=(",", ":"), default=str)


def _values(line: str):
    """What a reader gets from a line, exactly: json's canonical text of the parsed record tells 1 from 1.0
    and -0.0 from 0.0, and writes every float with the digits that give it back."""
    return json.dumps(json.loads(line))


# Plain values: the orjson path.
PLAIN = {
    "floats with many digits": _sample([1 / 3, 0.1 + 0.2, 123456789.12345679, -2.718281828459045], names=NAMES),
    "large and small exponents": _sample([1e-7, 5e-324, 1.7976931348623157e308, 1e16, 1e22, -0.0, 2.5e-300]),
    "whole floats stay floats": _sample([1.0, 100.0, -3.0, 0.0], prediction=1.0),
    "ints, 64 bits": _sample([0, -1, 2**63 - 1, -(2**63), 2**64 - 1], prediction=-7),
    "text, escapes, bools and None": _sample(["a", 'q"b\\s\n\t\x00\x1f', True, None], prediction="yes", names=NAMES),
    "no confidence, no names": _sample([0.5, 2], confidence=None),
    "a tuple row": _sample((0.25, 4)),
    "a regressor's prediction": _sample([0.5], prediction=0.30000000000000004, confidence=None),
}
# What orjson would write otherwise (or not at all): json's path, its text exactly.
OTHER = {
    "NaN feature": _sample([math.nan, 1.0]),
    "infinite confidence": _sample([1.0], confidence=math.inf),
    "negative infinite prediction": _sample([1.0], prediction=-math.inf, confidence=None),
    "an integer beyond 64 bits": _sample([2**64, 1]),
    "non-ASCII text": _sample(["caf\u00e9", "\u2028"], names=["pr\u00e9nom", "x"]),
    "non-ASCII model name": _sample([1.0], model="mod\u00e8le"),
    '"null" in a text': _sample(["null", None], confidence=None),
    "a datetime": _sample([datetime.datetime(2026, 12, 4, 18, 0)]),
    "a str subclass": _sample([np.str_("a")]),
}


@pytest.mark.parametrize("name", PLAIN)
def test_plain_values_are_written_by_orjson_and_read_back_as_before(name):
    sample = PLAIN[name]
    line = sample.to_line()
    assert line == orjson.dumps(_record(sample)).decode()  # the fast path was taken
    assert _values(line) == _values(_previous_line(sample))
    assert orjson.loads(line) == orjson.loads(_previous_line(sample))  # the monitor's parser
    assert PredictionSample.from_line(line) == PredictionSample.from_line(_previous_line(sample))
    assert list(json.loads(line)) == [SAMPLE_MARKER, *sample.__dataclass_fields__]


@pytest.mark.parametrize("name", OTHER)
def test_what_orjson_would_write_otherwise_is_json_text(name):
    sample = OTHER[name]
    assert sample.to_line() == _previous_line(sample)
    assert sample.to_line().isascii()


def test_random_doubles_read_back_bit_for_bit():
    rng = random.Random(5)
    doubles = [struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0] for _ in range(20_000)]
    finite = [d for d in doubles if math.isfinite(d)]
    for start in range(0, len(finite), 20):
        row = finite[start : start + 20]
        line = sample_line(1.0, "m", "1", "r", 0, row, row[0], row[-1])
        assert line == orjson.dumps(json.loads(line)).decode()  # orjson's path
        record = json.loads(line)
        assert [struct.pack("<d", v) for v in record["features"]] == [struct.pack("<d", v) for v in row]
        assert struct.pack("<d", record["confidence"]) == struct.pack("<d", row[-1])


def test_numpy_scalars_are_written_as_their_python_values():
    features: list[Any] = [np.float32(0.1), np.int64(3), np.bool_(True), np.float64(0.25), np.str_("a")]
    line = sample_line(1.0, "m", "1", "r", 0, features, np.int64(1), np.float64(0.9))
    items = [v.item() for v in features]
    assert _values(line) == _values(sample_line(1.0, "m", "1", "r", 0, items, 1, 0.9))
    assert json.loads(line)["features"] == [0.10000000149011612, 3, True, 0.25, "a"]


@pytest.mark.parametrize("name", [*PLAIN, *OTHER])
def test_without_orjson_the_lines_hold_the_same_values(name, monkeypatch):
    sample = {**PLAIN, **OTHER}[name]
    fast = sample.to_line()
    monkeypatch.setattr(quality_samples, "_orjson", None)
    slow = sample.to_line()
    assert slow == json_line(_record(sample)) == _previous_line(sample)
    assert _values(slow) == _values(fast)


def test_the_contract_imports_and_writes_without_orjson_installed():
    """The facts package is the standard library only: with orjson not importable, json writes every line."""
    sample = _sample([0.1, 2, "a", None], confidence=None, names=["a", "b", "c", "d"])
    script = (
        "import sys; sys.modules['orjson'] = None\n"  # `import orjson` now raises ImportError
        "from facts import quality_samples as q\n"
        "assert q._orjson is None\n"
        f"print(q.PredictionSample(**{_fields(sample)!r}).to_line())"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == _previous_line(sample)
