"""The batch runner (serving_runtime/mlops_batch) scoring a real model from the test registry.

A real sklearn model is logged to the test MLflow server with its signature, downloaded with MLflow's
own client, and the runner scores a generated input of 120,000 records, some of them bad, in chunks.
The results must equal the model's own `predict` on the good records, the bad ones must be in the
rejects file with their record numbers, and the memory the scoring allocates (tracemalloc peak) must be
a small fraction of the input's size, where reading the whole file with pandas takes more than the file.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tracemalloc
import uuid
from pathlib import Path

import numpy as np
import pytest

from ops.demo.trained_models import DEMO_MODELS, log_and_register, make_data, train

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR / "serving_runtime"))

from mlops_batch.runner import REJECTS, RESULTS, SUMMARY, score  # noqa: E402
from mlops_batch.storage import Output  # noqa: E402

ROWS = 120_000
BAD_EVERY = 997  # a bad record every 997th: 120 bad records of four kinds


@pytest.fixture(scope="module")
def downloaded_model(mlflow_server, tmp_path_factory):
    """(local model directory, models:/ URI) of a real registered version with a tensor signature."""
    import mlflow

    spec = DEMO_MODELS[0]
    estimator, _metrics, example = train(spec.data, spec.versions[0])
    name = f"batch-test-{uuid.uuid4().hex[:8]}"
    version = log_and_register(mlflow_server.uri, name, estimator, {"accuracy": 0.9}, tags={}, example=example)
    uri = f"models:/{name}/{version}"
    target = tmp_path_factory.mktemp("model")
    # mlflow.set_tracking_uri exports MLFLOW_TRACKING_URI to os.environ, and the provider honours the
    # variable over stack config: put it back, or every later test resolves against this server.
    previous = os.environ.get("MLFLOW_TRACKING_URI")
    mlflow.set_tracking_uri(mlflow_server.uri)
    try:
        path = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(target))
    finally:
        if previous is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = previous
    return Path(path), uri


def _bad(i: int, row: list[float]) -> str:
    kind = (i // BAD_EVERY) % 4
    if kind == 0:
        return ",".join(["oops", *map(repr, row[1:])])  # not a number
    if kind == 1:
        return ",".join(map(repr, row[:-1]))  # a field short
    if kind == 2:
        return ",".join(["", *map(repr, row[1:])])  # empty value
    return ",".join([*map(repr, row[:-1]), "inf"])  # not finite


@pytest.fixture(scope="module")
def generated_input(tmp_path_factory):
    """(CSV path, {record number: features} of the good records, set of bad record numbers)."""
    rng = np.random.default_rng(7)
    X = np.resize(make_data(DEMO_MODELS[0].data)[1], (ROWS, 20)) + rng.normal(0, 0.01, (ROWS, 20))
    path = tmp_path_factory.mktemp("input") / "records.csv"
    good, bad = {}, set()
    with path.open("w") as out:
        out.write(",".join(f"f{i}" for i in range(20)) + "\n")
        for i, row in enumerate(X.tolist(), start=1):
            if i % BAD_EVERY == 0:
                out.write(_bad(i, row) + "\n")
                bad.add(i)
            else:
                out.write(",".join(map(repr, row)) + "\n")
                good[i] = row
    return path, good, bad


def _results(directory: Path) -> dict[int, int]:
    with (directory / RESULTS).open() as f:
        reader = csv.reader(f)
        assert next(reader) == ["record", "prediction"]
        return {int(r[0]): int(float(r[1])) for r in reader}


def test_scores_every_good_record_like_predict_and_rejects_the_bad(downloaded_model, generated_input, tmp_path):
    import mlflow.pyfunc

    model_dir, uri = downloaded_model
    path, good, bad = generated_input
    model = mlflow.pyfunc.load_model(str(model_dir))

    tracemalloc.start()
    summary = score(model, str(path), Output(str(tmp_path / "out")), chunk_rows=2000, model_uri=uri)
    _, streaming_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert summary.rows == ROWS and summary.failures == len(bad) == ROWS // BAD_EVERY
    assert summary.scored == len(good) == ROWS - len(bad)
    results = _results(tmp_path / "out")
    numbers = sorted(good)
    expected = model.predict(np.asarray([good[n] for n in numbers], dtype=np.float64))
    assert sorted(results) == numbers
    assert [results[n] for n in numbers] == [int(v) for v in expected]

    with (tmp_path / "out" / REJECTS).open() as f:
        rejects = list(csv.DictReader(f))
    assert {int(r["record"]) for r in rejects} == bad
    reasons = " | ".join(r["reason"] for r in rejects)
    for words in ("could not convert", "19 fields", "empty value", "not a finite number"):
        assert words in reasons

    written = json.loads((tmp_path / "out" / SUMMARY).read_text())
    assert written["rows"] == ROWS and written["failures"] == len(bad) and written["scored"] == len(good)
    assert written["duration_seconds"] > 0 and written["model_uri"] == uri

    # Memory: the baseline reads the whole file at once, in the same process.
    import pandas as pd

    tracemalloc.start()
    frame = pd.read_csv(path, on_bad_lines="skip")
    _, whole_file_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del frame
    size = path.stat().st_size
    print(
        f"\ninput {size / 1e6:.1f} MB; streaming peak {streaming_peak / 1e6:.2f} MB "
        f"({streaming_peak / size:.3f} x input); whole-file read peak {whole_file_peak / 1e6:.1f} MB "
        f"({whole_file_peak / size:.3f} x input); ratio {whole_file_peak / streaming_peak:.1f}"
    )
    assert streaming_peak < 0.1 * size
    assert streaming_peak * 5 < whole_file_peak


def test_a_run_of_only_bad_records_fails_with_exit_1_and_keeps_its_files(downloaded_model, tmp_path):
    model_dir, uri = downloaded_model
    source = tmp_path / "bad.csv"
    header = ",".join(f"f{i}" for i in range(20))
    source.write_text(f"{header}\n" + ",".join(["x"] * 20) + "\n1,2\n")
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlops_batch",
            "--model-dir",
            str(model_dir),
            "--input",
            str(source),
            "--output",
            str(out),
            "--model-uri",
            uri,
        ],
        cwd=PROJECT_DIR / "serving_runtime",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    summary = json.loads((out / SUMMARY).read_text())
    assert summary["rows"] == 2 and summary["scored"] == 0 and summary["failures"] == 2


def test_an_input_that_cannot_be_read_is_one_error_not_a_traceback(downloaded_model, tmp_path):
    model_dir, _uri = downloaded_model
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlops_batch",
            "--model-dir",
            str(model_dir),
            "--input",
            str(tmp_path / "none.csv"),
            "--output",
            str(tmp_path / "out"),
        ],
        cwd=PROJECT_DIR / "serving_runtime",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "none.csv" in done.stderr
    # A header that cannot be the model's inputs is the whole input's problem: one error, exit 2.
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n")
    done = subprocess.run(
        [sys.executable, "-m", "mlops_batch", "--model-dir", str(model_dir), "--input", str(wrong)]
        + ["--output", str(tmp_path / "out2")],
        cwd=PROJECT_DIR / "serving_runtime",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2 and "the CSV header lacks the model's inputs" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_cronjobs_own_command_runs_the_runner(downloaded_model, tmp_path):
    """The batch CronJob's container command and arguments (manifests/batch.py), with the pod's paths moved
    to this machine and $(BATCH_JOB_NAME) expanded as the kubelet does, score a JSON-lines input."""
    from dataclasses import replace

    from catalogue.batch import BatchJob
    from catalogue.loader import load_catalogue
    from facts.runtimes import MODEL_DIR
    from manifests.batch import JOB_NAME_ENV, cronjob_manifest
    from plan.batch import batch_plans
    from plan.serving import serving_plans
    from tests.addon_settings import stack_settings

    model_dir, uri = downloaded_model
    churn = next(m for m in load_catalogue(PROJECT_DIR / "models").models if m.name == "churn-prediction")
    job = BatchJob.model_validate(
        {"name": "t", "schedule": "@daily", "input": "pvc://data/in/rows.jsonl", "output": "pvc://data/out"}
    )
    settings = stack_settings("local", models=["churn-prediction"])
    servings = serving_plans(settings, (churn.model_copy(update={"batch": (job,)}),))
    (plan,) = batch_plans(settings, servings)["churn-prediction"]
    container = cronjob_manifest(replace(plan), "1")["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    claim = tmp_path / "claim"
    (claim / "in").mkdir(parents=True)
    rows = [{f"input-{i}": float(i) for i in range(20)}, {"input-0": "x"}, {f"input-{i}": 0.5 for i in range(20)}]
    (claim / "in" / "rows.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")

    def local(arg: str) -> str:
        arg = arg.replace(MODEL_DIR, str(model_dir)).replace("/mnt/batch/data", str(claim))
        return arg.replace(f"$({JOB_NAME_ENV})", "run-1")

    assert container["command"] == ["python", "-m", "mlops_batch"]
    done = subprocess.run(
        [sys.executable, "-m", "mlops_batch", *(local(a) for a in container["args"])],
        cwd=PROJECT_DIR / "serving_runtime",
        capture_output=True,
        text=True,
        timeout=300,
    )
    # One of three records rejected: above the default maxRejectedFraction 0.05, so exit 1, files written.
    assert done.returncode == 1, done.stderr
    summary = json.loads((claim / "out" / "run-1" / SUMMARY).read_text())
    assert (summary["rows"], summary["scored"], summary["failures"]) == (3, 2, 1)
    assert summary["model_uri"] == "models:/churn-prediction/1"
