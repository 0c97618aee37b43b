"""One forward pass (serving_runtime/mlops_serving_runtime/one_pass.py): where it is installed, the pyfunc
model serves exactly what the stock pyfunc predict serves (values and dtype), from one predict_proba
call whose probabilities the recorder gets; everywhere else it is not installed.

Real sklearn models, saved and loaded with the project's MLflow as MLServer's MLflow runtime loads them
(mlflow.pyfunc.load_model). Then the real MLServer (.venv-serving): the stock runtime and ours serving the
same saved model answer the same V2 requests with the same JSON (outputs' names, shapes, datatypes, data).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import mlflow.models
import mlflow.pyfunc
import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
import requests
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, ExtraTreeClassifier

from benchmarks.serving_servers import MODEL_NAME, OUR_RUNTIME, SERVING_VENV, STOCK_RUNTIME, start
from facts.quality_metrics import PREDICTION_CONFIDENCE
from ops.demo.trained_models import DEMO_MODELS, make_data, train

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "serving_runtime"))  # as the image's PYTHONPATH
from mlops_serving_runtime import one_pass

# What these test models hold that skops does not trust by default (the models are made here).
TRUSTED = [
    "sklearn.tree._tree.Tree",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss._loss.CyHalfBinomialLoss",
    "sklearn._loss.link.Interval",
]


def _load(estimator, directory: Path, example, **save):
    """The estimator saved as an MLflow model and loaded back as the runtime loads it (pyfunc)."""
    import sklearn

    output = estimator.predict(example)
    mlflow.sklearn.save_model(
        estimator,
        str(directory),
        signature=mlflow.models.infer_signature(example, output),
        pip_requirements=[f"scikit-learn=={sklearn.__version__}"],  # as the benchmark saves it; no inference
        skops_trusted_types=TRUSTED,
        **save,
    )
    return mlflow.pyfunc.load_model(str(directory))


def _demo(kind: str):
    """A demo catalogue model (ops/demo/trained_models.py): what the runtime serves in the demo."""
    model = next(m for m in DEMO_MODELS for v in m.versions if v.estimator == kind)
    version = next(v for v in model.versions if v.estimator == kind)
    estimator, _metrics, example = train(model.data, version)
    return estimator, example, make_data(model.data)[1]


def _labelled(kind, labels, classes=2, seed=5):
    """A classifier of `kind` trained on synthetic data with the given class labels."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=600, n_features=8, n_informative=5, n_classes=classes, random_state=seed, flip_y=0.1
    )
    estimator = kind.fit(X[:400], np.asarray(labels)[y[:400]])
    return estimator, X[:5], X[400:]


CASES = {
    "demo forest (churn-prediction)": lambda: _demo("forest"),
    "demo tree (fraud-detection)": lambda: _demo("tree"),
    "forest, text labels": lambda: _labelled(RandomForestClassifier(n_estimators=7, random_state=0), ["no", "yes"]),
    "extra trees, 4 classes": lambda: _labelled(ExtraTreesClassifier(n_estimators=5, random_state=0), [3, 5, 7, 11], 4),
    "tree, float labels": lambda: _labelled(DecisionTreeClassifier(max_depth=5, random_state=0), [1.0, 3.0]),
    "extra tree, bool labels": lambda: _labelled(ExtraTreeClassifier(random_state=0), [False, True]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_one_pass_serves_what_the_stock_predict_serves(case, tmp_path):
    estimator, example, rows = CASES[case]()
    stock = _load(estimator, tmp_path / "stock", example)
    ours = _load(estimator, tmp_path / "ours", example)
    installed = one_pass.install(ours)
    assert installed is not None, f"{case}: eligible, not installed"
    assert installed.take() is None  # nothing before the first call
    for batch in (rows, rows[:1], rows[7:40]):  # many rows, one row, a slice (not C-contiguous from the start)
        expected, got = stock.predict(batch), ours.predict(batch)
        assert isinstance(got, np.ndarray) and got.dtype == expected.dtype and got.shape == expected.shape
        assert np.array_equal(got, expected), f"{case}: {np.flatnonzero(got != expected)[:10]}"
        probabilities = installed.take()
        assert np.array_equal(probabilities, estimator.predict_proba(batch))  # the call's own probabilities
        assert installed.take() is None  # handed over once
    # Values the signature's enforcement rejects are still rejected by MLflow, before the model is called.
    with pytest.raises(Exception) as stock_error:
        stock.predict(rows[:2].astype(str))
    with pytest.raises(type(stock_error.value)):
        ours.predict(rows[:2].astype(str))
    assert installed.take() is None


def test_the_one_pass_takes_a_dataframe_as_the_stock_predict_does(tmp_path):
    estimator, _example, rows = _demo("forest")
    frame = pd.DataFrame(rows, columns=[f"f{i}" for i in range(rows.shape[1])])
    estimator = RandomForestClassifier(n_estimators=5, random_state=0).fit(
        frame.iloc[:300], estimator.predict(rows[:300])
    )
    stock = _load(estimator, tmp_path / "stock", frame.iloc[:5])
    ours = _load(estimator, tmp_path / "ours", frame.iloc[:5])
    installed = one_pass.install(ours)
    assert installed is not None
    expected, got = stock.predict(frame), ours.predict(frame)
    assert got.dtype == expected.dtype and np.array_equal(got, expected)
    assert np.array_equal(installed.take(), estimator.predict_proba(frame))


NOT_ELIGIBLE = {
    # predict is not the argmax of predict_proba in these estimators' own code: the stock predict stays.
    "logistic regression": lambda: _labelled(LogisticRegression(), [0, 1])[:2],
    "gradient boosting": lambda: _labelled(GradientBoostingClassifier(n_estimators=5, random_state=0), [0, 1])[:2],
    "pipeline": lambda: _labelled(make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=3)), [0, 1])[:2],
    "regressor": lambda: (RandomForestRegressor(n_estimators=3).fit(np.eye(4), [0.1, 0.2, 0.3, 0.4]), np.eye(4)[:2]),
    "multi-output forest": lambda: (
        RandomForestClassifier(n_estimators=3).fit(np.eye(4), [[0, 1], [1, 0], [0, 0], [1, 1]]),
        np.eye(4)[:2],
    ),
}


@pytest.mark.parametrize("case", list(NOT_ELIGIBLE))
def test_other_models_keep_the_stock_predict(case, tmp_path):
    estimator, example = NOT_ELIGIBLE[case]()
    model = _load(estimator, tmp_path / "model", example)
    predict_fn = model._predict_fn
    assert one_pass.install(model) is None
    assert model._predict_fn == predict_fn  # untouched


def test_an_estimator_with_its_own_predict_keeps_the_stock_predict(tmp_path):
    estimator, example, _rows = _demo("forest")
    model = _load(estimator, tmp_path / "model", example)
    model._model_impl.get_raw_model().predict = lambda X: np.zeros(len(X), dtype=int)  # not sklearn's code
    assert one_pass.install(model) is None


def test_a_model_logged_to_serve_probabilities_keeps_its_predict_fn(tmp_path):
    estimator, example, rows = _demo("forest")
    model = _load(estimator, tmp_path / "model", example, pyfunc_predict_fn="predict_proba")
    assert one_pass.install(model) is None
    assert np.array_equal(model.predict(rows[:3]), estimator.predict_proba(rows[:3]))


@pytest.mark.skipif(
    not (SERVING_VENV / "bin" / "mlserver").exists(),
    reason=f"no serving venv at {SERVING_VENV}: create it with `make serving-venv` (serving_runtime/requirements.txt)",
)
@pytest.mark.parametrize("kind", ["forest", "tree"])
def test_ours_answers_what_the_stock_runtime_answers(kind, tmp_path):
    """The demo forest and tree, each served by stock mlserver-mlflow and by ours (one forward pass):
    the response bodies of the same requests are identical, and ours counted every row's confidence."""
    estimator, example, rows = _demo(kind)
    _load(estimator, tmp_path / "model", example)
    servers = {}
    try:
        for name, runtime in (("stock", STOCK_RUNTIME), ("ours", OUR_RUNTIME)):
            servers[name] = start(name, runtime, tmp_path / "model", tmp_path, sample_rate=0.0)
        bodies = [
            {
                "id": f"{kind}-{len(batch)}",
                "inputs": [
                    {"name": "input-0", "shape": list(batch.shape), "datatype": "FP64", "data": batch.ravel().tolist()}
                ],
            }
            for batch in (rows[:1], rows[:64], rows[100:103])
        ]
        for body in bodies:
            answers = {
                name: requests.post(f"{s.base}/v2/models/{MODEL_NAME}/infer", data=json.dumps(body), timeout=60)
                for name, s in servers.items()
            }
            assert answers["stock"].status_code == answers["ours"].status_code == 200, answers["ours"].text
            assert answers["ours"].json() == answers["stock"].json()
            output = answers["ours"].json()["outputs"][0]
            assert (
                output["datatype"] == "INT64"
                and output["data"]
                == estimator.predict(np.asarray(body["inputs"][0]["data"]).reshape(body["inputs"][0]["shape"])).tolist()
            )
        assert "confidence on (one forward pass" in servers["ours"].log.read_text()  # the path under test
        sent = sum(b["inputs"][0]["shape"][0] for b in bodies)
        name = f"{PREDICTION_CONFIDENCE.name}_count"
        deadline = time.monotonic() + 30
        while True:  # the recorder writes every 0.5 s
            text = requests.get(servers["ours"].metrics, timeout=10).text
            counted = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + "{"))
            if counted >= sent or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert counted == sent
    finally:
        for server in servers.values():
            server.stop()
