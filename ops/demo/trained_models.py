"""The demo catalogue's CPU models, trained for real on synthetic data (deterministic seeds, < 1 s):

- churn-prediction: champion v1 (accuracy ~0.87), challenger v2 (~0.90): beats it by > 1 point, passes.
- fraud-detection: champion v1 (~0.93), challenger v2 (~0.91): worse, refused by the champion gate.
- churn-prediction-baseline: one champion, a shallow tree on churn's data: churn-prediction's fallback.
Each version is a real sklearn model logged with mlflow, its run carries accuracy, f1_weighted, precision,
recall and roc_auc on a held-out split, and the version carries the evidence tags the gates read
(validation.data, scan.max_cvss, compliance). The building blocks (train, log_and_register) are reused by
tests/mlflow_server.py and the benchmarks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from facts.quality_samples import DEFAULT_REFERENCE_ARTIFACT
from ops.demo.mlflow_seeding import (
    DEMO_EXPERIMENT,
    SEED_TAG,
    SeededVersion,
    register_version,
    seed_version,
    tracking_scope,
)


@dataclass(frozen=True)
class DataSpec:
    seed: int
    class_sep: float
    flip_y: float  # label noise: caps the reachable accuracy, so metrics look like real ones
    n_samples: int = 3000


@dataclass(frozen=True)
class VersionSpec:
    alias: str  # "champion" | "challenger"
    estimator: str  # "tree" | "forest"
    params: tuple[tuple[str, Any], ...]
    scan_max_cvss: float  # what the image scan found; the evidence gate blocks > 7.0


@dataclass(frozen=True)
class TrainedModel:
    name: str
    data: DataSpec
    versions: tuple[VersionSpec, ...]  # registered in this order: v1, v2, ...


DEMO_MODELS: tuple[TrainedModel, ...] = (
    TrainedModel(
        "churn-prediction",
        DataSpec(seed=11, class_sep=1.0, flip_y=0.05),
        (
            VersionSpec("champion", "forest", (("n_estimators", 10), ("max_depth", 8)), scan_max_cvss=4.3),
            VersionSpec("challenger", "forest", (("n_estimators", 40),), scan_max_cvss=3.1),
        ),
    ),
    TrainedModel(
        "fraud-detection",
        DataSpec(seed=23, class_sep=1.5, flip_y=0.04),
        (
            VersionSpec("champion", "tree", (("max_depth", 6),), scan_max_cvss=5.0),
            VersionSpec("challenger", "tree", (("max_depth", 4),), scan_max_cvss=2.0),
        ),
    ),
    # churn-prediction's fallback: the same data, a shallow tree (smaller, faster, a few points less accurate).
    TrainedModel(
        "churn-prediction-baseline",
        DataSpec(seed=11, class_sep=1.0, flip_y=0.05),
        (VersionSpec("champion", "tree", (("max_depth", 4),), scan_max_cvss=2.0),),
    ),
)


def make_data(spec: DataSpec):
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    X, y = make_classification(
        n_samples=spec.n_samples,
        n_features=20,
        n_informative=8,
        n_redundant=4,
        class_sep=spec.class_sep,
        flip_y=spec.flip_y,
        random_state=spec.seed,
    )
    return train_test_split(X, y, test_size=0.3, random_state=spec.seed, stratify=y)


def train(data: DataSpec, version: VersionSpec):
    """(fitted estimator, metrics on the held-out split, a few rows for the signature)."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score
    from sklearn.tree import DecisionTreeClassifier

    X_train, X_test, y_train, y_test = make_data(data)
    kinds = {"tree": DecisionTreeClassifier, "forest": RandomForestClassifier}
    estimator = kinds[version.estimator](random_state=0, **dict(version.params)).fit(X_train, y_train)
    predicted = estimator.predict(X_test)
    metrics = {
        "accuracy": accuracy_score(y_test, predicted),
        "f1_weighted": f1_score(y_test, predicted, average="weighted"),
        "precision": precision_score(y_test, predicted, average="weighted"),
        "recall": recall_score(y_test, predicted, average="weighted"),
        "roc_auc": roc_auc_score(y_test, estimator.predict_proba(X_test)[:, 1]),
    }
    return estimator, {k: round(float(v), 4) for k, v in metrics.items()}, X_test[:5]


REFERENCE_ROWS = 1000  # enough for the monitor's KS tests, small enough to download every few minutes


def reference_data(data: DataSpec, limit: int = REFERENCE_ROWS) -> tuple[list[str], list[list[float]]]:
    """The training inputs the quality monitor compares served inputs with: (feature names, rows).

    Names are positional (feature_0, ...) because the demo models take a plain tensor; a model whose
    signature names its columns must log them under those names, in input order."""
    X_train = make_data(data)[0]
    return [f"feature_{i}" for i in range(X_train.shape[1])], X_train[:limit].tolist()


def log_reference(names: list[str], rows: list[list], artifact: str = DEFAULT_REFERENCE_ARTIFACT) -> None:
    """Logs the reference CSV into the active run at `artifact` (the convention in facts/quality_samples.py)."""
    import csv
    import tempfile
    from pathlib import Path

    import mlflow

    folder, _, file_name = artifact.rpartition("/")
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / file_name
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(names)
            writer.writerows(rows)
        mlflow.log_artifact(str(path), artifact_path=folder or None)


def fingerprint(model: TrainedModel, version: VersionSpec) -> str:
    return hashlib.sha256(repr((model.name, model.data, version)).encode()).hexdigest()[:16]


def log_and_register(
    tracking_uri: str,
    registered_name: str,
    estimator,
    metrics: dict,
    *,
    tags: dict,
    params: dict | None = None,
    example=None,
    experiment: str = DEMO_EXPERIMENT,
    reference: tuple[list[str], list[list]] | None = None,
) -> str:
    """Logs a real model in a run carrying `metrics` (and the training `reference` for the quality
    monitor, when given), registers it as a new version WITH `tags` (one call, so the tags exist from
    the version's first moment) and returns the version number."""
    import mlflow
    import mlflow.sklearn
    import sklearn
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri)
    with tracking_scope(tracking_uri):
        existing = client.get_experiment_by_name(experiment)
        experiment_id = existing.experiment_id if existing else client.create_experiment(experiment)
        with mlflow.start_run(experiment_id=experiment_id) as run:
            mlflow.log_metrics(metrics)
            if params:
                mlflow.log_params(params)
            if reference is not None:
                log_reference(*reference)
            signature = None
            if example is not None:
                signature = mlflow.models.infer_signature(example, estimator.predict(example))
            # pip_requirements given: skips mlflow's requirement inference (a subprocess, seconds).
            # MLflow 3 saves sklearn models with skops, which refuses tree node storage unless trusted;
            # we trained this estimator in this process, so its Tree objects are ours.
            info = mlflow.sklearn.log_model(
                estimator,
                name="model",
                signature=signature,
                pip_requirements=[f"scikit-learn=={sklearn.__version__}"],
                skops_trusted_types=["sklearn.tree._tree.Tree"],
            )
    return register_version(client, registered_name, info.model_uri, run.info.run_id, tags, model_id=info.model_id)


def seed_trained_models(
    registry,
    tracking_uri: str,
    models: tuple[TrainedModel, ...] = DEMO_MODELS,
    on_version: Callable[[str], object] = lambda _: None,
) -> list[SeededVersion]:
    """Trains and registers every missing version of `models`, then points its alias at it; `on_version(model)`
    hears of each version once it is there (the demo's progress line)."""
    seeded = []
    for model in models:
        for spec in model.versions:
            mark = fingerprint(model, spec)

            def register(model=model, spec=spec, mark=mark) -> tuple[str, dict]:
                estimator, metrics, example = train(model.data, spec)
                tags = {
                    SEED_TAG: mark,
                    "validation.data": "passed",
                    "scan.max_cvss": spec.scan_max_cvss,
                    "compliance": "approved",
                }
                version = log_and_register(
                    tracking_uri,
                    model.name,
                    estimator,
                    metrics,
                    tags=tags,
                    params={"estimator": spec.estimator, **dict(spec.params)},
                    example=example,
                    reference=reference_data(model.data),
                )
                return version, metrics

            seeded.append(seed_version(registry, model.name, spec.alias, mark, register))
            on_version(model.name)
    return seeded
