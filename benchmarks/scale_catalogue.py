"""Generated catalogues and registries for the scale benchmark.

`generate_project` writes a throwaway project directory: the repository's Pulumi.yaml and stack files plus
`models/` holding N catalogue entries cloned from the real CPU entries (churn-prediction, fraud-detection),
renamed. `seed_registry` registers those N models in a real MLflow server over its REST API, fast (no
training, no artifact upload): per model two runs with metrics, two versions carrying the evidence tags,
and the `champion` (v1) / `challenger` (v2) aliases every stack's selector reads.
"""

from __future__ import annotations

import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import yaml

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = ("churn-prediction", "fraud-detection")  # CPU models: every stack can serve them
EVIDENCE = {"validation.data": "passed", "scan.max_cvss": "3.0", "compliance": "approved"}
VERSION_METRICS = ((1, 0.93), (2, 0.95))  # champion v1, better challenger v2: every gate passes
METRIC_KEYS = ("accuracy", "f1_weighted", "roc_auc")  # every metric the templates' gates read
EXPERIMENT = "scale-benchmark"
API = "/api/2.0/mlflow"


def model_names(count: int, prefix: str = "bench") -> list[str]:
    return [f"{prefix}-{i:04d}" for i in range(count)]


def generate_project(directory: Path, names: list[str]) -> Path:
    """A project directory whose catalogue holds one model per name (registered model of the same name)."""
    directory.mkdir(parents=True, exist_ok=True)
    for stack_file in REPO.glob("Pulumi*.yaml"):
        shutil.copy(stack_file, directory / stack_file.name)
    models = directory / "models"
    models.mkdir(exist_ok=True)
    templates = [yaml.safe_load((REPO / "models" / f"{t}.yaml").read_text(encoding="utf-8")) for t in TEMPLATES]
    for i, name in enumerate(names):
        entry = {**templates[i % len(templates)], "name": name, "registeredModel": name}
        # A clone's fallback would name a model the generated catalogue does not hold.
        delivery = {k: v for k, v in (entry.get("delivery") or {}).items() if k != "fallback"}
        entry = {**entry, "delivery": delivery} if delivery else {k: v for k, v in entry.items() if k != "delivery"}
        (models / f"{name}.yaml").write_text(yaml.safe_dump(entry, sort_keys=False), encoding="utf-8")
    return directory


def _post(session: requests.Session, uri: str, endpoint: str, body: dict) -> dict:
    resp = session.post(f"{uri}{API}{endpoint}", json=body, timeout=60)
    if resp.status_code >= 400:
        raise RuntimeError(f"{endpoint}: {resp.status_code} {resp.text[:300]}")
    return resp.json() if resp.content else {}


def _seed_one(uri: str, experiment_id: str, name: str) -> None:
    with requests.Session() as session:
        _post(session, uri, "/registered-models/create", {"name": name})
        for version, value in VERSION_METRICS:
            run = _post(session, uri, "/runs/create", {"experiment_id": experiment_id})["run"]["info"]
            now = int(time.time() * 1000)
            metrics = [{"key": k, "value": value, "timestamp": now, "step": 0} for k in METRIC_KEYS]
            _post(session, uri, "/runs/log-batch", {"run_id": run["run_id"], "metrics": metrics})
            _post(
                session,
                uri,
                "/model-versions/create",
                {
                    "name": name,
                    "source": f"{run['artifact_uri']}/model",
                    "run_id": run["run_id"],
                    "tags": [{"key": k, "value": v} for k, v in EVIDENCE.items()],
                },
            )
            alias = "champion" if version == 1 else "challenger"
            _post(session, uri, "/registered-models/alias", {"name": name, "alias": alias, "version": str(version)})


def seed_registry(uri: str, names: list[str], workers: int = 4) -> None:
    """Registers every model of `names` (two versions each) in the MLflow server at `uri`."""
    with requests.Session() as session:
        found = session.get(f"{uri}{API}/experiments/get-by-name", params={"experiment_name": EXPERIMENT}, timeout=60)
        if found.status_code == 200:
            experiment_id = found.json()["experiment"]["experiment_id"]
        else:
            experiment_id = _post(session, uri, "/experiments/create", {"name": EXPERIMENT})["experiment_id"]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda n: _seed_one(uri, experiment_id, n), names))
