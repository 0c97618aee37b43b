"""Fill an MLflow server with the example catalogue's models, trained for real on synthetic data.

    python -m ops.demo.registry --tracking-uri http://127.0.0.1:5000
    python -m ops.demo.registry --local .demo/mlflow      # start a local server (ops/demo/local_mlflow.py) too

- churn-prediction: champion v1 (accuracy ~0.87), challenger v2 (~0.90): beats it by > 1 point, passes.
- fraud-detection: champion v1 (~0.93), challenger v2 (~0.91): worse, refused by the champion gate.
- churn-prediction-baseline: one champion, a shallow tree on churn's data: churn-prediction's fallback.
- image-classifier and support-assistant (GPU): placeholder artifacts without weights, see ops/demo/stand_ins.py.
Each version is a real sklearn model logged with mlflow, its run carries accuracy, f1_weighted, precision,
recall and roc_auc on a held-out split, and the version carries the evidence tags the gates read
(validation.data, scan.max_cvss, compliance). Training is deterministic (fixed seeds) and takes < 1 s.

Idempotent: each version is tagged `demo.seed=<fingerprint of its spec>` AT CREATION (create_model_version
with tags, so a crash cannot leave an untagged duplicate); a rerun finds it and registers nothing new.
The building blocks (train, log_and_register, find_version_by_tag) are reused by tests/mlflow_server.py.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from facts.quality_samples import DEFAULT_REFERENCE_ARTIFACT
from ops.demo.stand_ins import STAND_IN_MODELS, StandInModel, seed_stand_ins

DEMO_EXPERIMENT = "mlops-platform-demo"
SEED_TAG = "demo.seed"


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


@dataclass(frozen=True)
class SeededVersion:
    model: str
    alias: str
    version: str
    metrics: dict
    created: bool  # False when found from an earlier run


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


_QUIET = "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"


@contextlib.contextmanager
def _tracking(uri: str) -> Iterator[None]:
    """mlflow's fluent API (start_run, log_model) only knows the global tracking URI, and
    mlflow.set_tracking_uri also exports MLFLOW_TRACKING_URI to os.environ. Restore both afterwards, so
    seeding does not redirect everything else in this process (tests, the provider's env override)."""
    import mlflow
    from mlflow.tracking._tracking_service import utils as tracking_utils

    previous_global = tracking_utils._tracking_uri  # None when never set: get_tracking_uri() would invent one
    previous_env = os.environ.get("MLFLOW_TRACKING_URI")
    previous_quiet = os.environ.get(_QUIET)
    mlflow_logger = logging.getLogger("mlflow")
    previous_level = mlflow_logger.level
    # Seeding logs a run per version: without this, every one prints its URL and a "waiting" line.
    os.environ[_QUIET] = "true"
    mlflow_logger.setLevel(logging.WARNING)
    mlflow.set_tracking_uri(uri)
    try:
        yield
    finally:
        if previous_global is None:
            tracking_utils._tracking_uri = None  # unset, as before (set_tracking_uri takes no None)
        else:
            mlflow.set_tracking_uri(previous_global)
        mlflow_logger.setLevel(previous_level)
        if previous_quiet is None:
            os.environ.pop(_QUIET, None)
        else:
            os.environ[_QUIET] = previous_quiet
        if previous_env is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = previous_env


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
    with _tracking(tracking_uri):
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


def register_version(
    client, registered_name: str, source: str, run_id: str, tags: dict, model_id: str | None = None
) -> str:
    """Registers a new version WITH its tags (one call: they exist from its first moment); creates the
    registered model on first use. Returns the version number."""
    from mlflow.exceptions import MlflowException

    try:
        client.create_registered_model(registered_name)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
    mv = client.create_model_version(
        registered_name,
        source=source,
        run_id=run_id,
        tags={k: str(v) for k, v in tags.items()},
        model_id=model_id,
        await_creation_for=0,
    )  # the server registers synchronously: nothing to wait for
    return str(mv.version)


def find_version_by_tag(registry, name: str, key: str, value: str) -> dict | None:
    """The version of `name` tagged key=value, via our paged REST client; None if none (or no model)."""
    from registry.client import tags_of

    for mv in registry.search_versions(name):
        if tags_of(mv).get(key) == value:
            return mv
    return None


def seed_version(registry, name: str, alias: str, mark: str, register) -> SeededVersion:
    """The version of `name` fingerprinted `mark`, registered through `register() -> (version, metrics)`
    only if it is not there yet; then `alias` points at it. Idempotent."""
    from registry.client import metrics_of

    found = find_version_by_tag(registry, name, SEED_TAG, mark)
    if found:
        seeded = SeededVersion(name, alias, str(found["version"]), metrics_of(registry.get_run(found["run_id"])), False)
    else:
        version, metrics = register()
        seeded = SeededVersion(name, alias, version, metrics, True)
    registry.set_alias(name, alias, seeded.version)
    return seeded


def seed_demo_registry(
    tracking_uri: str,
    models: tuple[TrainedModel, ...] = DEMO_MODELS,
    stand_ins: tuple[StandInModel, ...] = STAND_IN_MODELS,
    on_version: Callable[[str], object] = lambda _: None,
) -> list[SeededVersion]:
    """Registers every missing version of `models` and of the GPU models' `stand_ins`
    (ops/demo/stand_ins.py), then points the champion/challenger aliases at them. `on_version(model)`
    hears of each of `models`' versions once it is there (the demo's progress line)."""
    from registry.client import MlflowRegistryClient

    registry = MlflowRegistryClient(tracking_uri, os.environ.get("MLFLOW_TRACKING_TOKEN"))
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
    return seeded + seed_stand_ins(registry, tracking_uri, stand_ins)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Seed an MLflow server with the demo catalogue's models.")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--tracking-uri",
        default=os.environ.get("MLFLOW_TRACKING_URI"),
        help="MLflow server URL (default: env MLFLOW_TRACKING_URI)",
    )
    where.add_argument(
        "--local",
        metavar="DIR",
        help="start a local server with its data in DIR, seed it and keep it running until Ctrl-C",
    )
    ns = parser.parse_args(argv)
    if ns.local:
        from ops.demo.local_mlflow import start_local_mlflow

        with start_local_mlflow(ns.local) as server:
            _seed_and_report(server.uri)
            print(f"\nMLflow at {server.uri} (export MLFLOW_TRACKING_URI={server.uri}); Ctrl-C to stop", flush=True)
            server.serve_forever()
        return
    if not ns.tracking_uri:
        parser.error("give --tracking-uri, --local DIR, or set MLFLOW_TRACKING_URI")
    _seed_and_report(ns.tracking_uri)


def _seed_and_report(uri: str) -> None:
    for v in seed_demo_registry(uri):
        shown = ", ".join(f"{k}={v.metrics[k]:.3f}" for k in sorted(v.metrics)[:3])
        print(f"{v.model:18} v{v.version:3} @{v.alias:11} {shown}  {'registered' if v.created else 'already there'}")
    # Judging challengers uses the catalogue's own gates: `python -m ops demo` shows that table.


if __name__ == "__main__":
    main()
