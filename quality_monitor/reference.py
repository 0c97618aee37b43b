"""The training reference of a model version: the CSV its training run logged (the artifact convention
in facts/quality_samples.py), downloaded with the MLflow client from whatever store holds the run's
artifacts (the tracking server's proxy, GCS, S3, ...)."""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Reference:
    feature_names: list[str]
    rows: list[list]


def _value(text: str):
    try:
        return float(text)
    except ValueError:
        return text


def read_reference_csv(path: Path) -> Reference:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header:
            raise ValueError(f"{path}: the reference CSV is empty (it needs a header of feature names)")
        rows = [[_value(v) for v in row] for row in reader if row]
    if not rows:
        raise ValueError(f"{path}: the reference CSV has a header but no rows")
    return Reference(header, rows)


def download_reference(tracking_uri: str, registered_model: str, version: str, artifact: str) -> Reference:
    """The reference logged by the run that produced `registered_model` version `version`."""
    from mlflow import MlflowClient
    from mlflow.artifacts import download_artifacts

    client = MlflowClient(tracking_uri)
    run_id = client.get_model_version(registered_model, version).run_id
    if not run_id:
        raise ValueError(f"{registered_model} version {version} names no run, so it has no reference data")
    with tempfile.TemporaryDirectory() as scratch:
        local = download_artifacts(run_id=run_id, artifact_path=artifact, dst_path=scratch, tracking_uri=tracking_uri)
        return read_reference_csv(Path(local))
