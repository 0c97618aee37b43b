"""The operator command line as a user runs it: `python -m ops render` and `python -m ops demo`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ops.offline.render_target import MARKER
from tests.conftest import PROJECT_DIR

TOKEN = "tok-NEVER-PRINT-3f9a1c"


def ops(*args: str, env: dict | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ops", *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def copy_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(
        PROJECT_DIR, project, ignore=shutil.ignore_patterns(".venv", ".git", "rendered", ".demo", "__pycache__")
    )
    return project


@pytest.fixture(scope="module")
def rendered_local(mlflow_server, seeded_demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("render") / "local"
    result = ops(
        "render",
        "--stack",
        "local",
        "--out",
        str(out),
        env={"MLFLOW_TRACKING_URI": mlflow_server.uri, "MLFLOW_TRACKING_TOKEN": TOKEN},
    )
    assert result.returncode == 0, result.stderr
    return out, result


def test_render_writes_one_object_per_file_grouped_by_model(rendered_local):
    out, result = rendered_local
    groups = sorted(p.name for p in out.iterdir() if p.is_dir())
    # Each model's serving stack and its progressive-delivery objects (components/delivery), the guardrails'
    # admission policies, the platform add-ons' objects and the quality monitors' Pushgateway (the stack's own
    # MLflow server is off by default, local included).
    assert groups == [
        "churn-prediction",
        "churn-prediction-baseline",
        "churn-prediction-baseline-delivery",
        "churn-prediction-delivery",
        "delivery-metrics",
        "fraud-detection",
        "fraud-detection-delivery",
        "guardrails",
        "platform",
        "pushgateway",
    ]
    for path in out.rglob("*.yaml"):
        (document,) = list(yaml.safe_load_all(path.read_text()))
        assert path.name == f"{document['kind'].lower()}-{document['metadata']['name']}.yaml"
    assert (out / "churn-prediction" / "deployment-churn-prediction.yaml").exists()
    assert (out / "churn-prediction-delivery" / "canary-churn-prediction.yaml").exists()
    assert (out / MARKER).is_file()  # what lets the next render replace this directory
    assert "stack local:" in result.stdout and "churn-prediction" in result.stdout


def test_plan_lists_every_resource_with_type_parent_and_inputs(rendered_local):
    out, _ = rendered_local
    plan = json.loads((out / "plan.json").read_text())
    by_name = {r["name"]: r for r in plan["resources"]}
    assert by_name["churn-prediction-deployment"]["type"] == "kubernetes:apps/v1:Deployment"
    assert by_name["churn-prediction-deployment"]["parent"] == "churn-prediction"
    assert by_name["churn-prediction"]["type"] == "mlops:serving:ModelServing"
    assert by_name["churn-prediction-version"]["inputs"]["selector"] == {"alias": "champion"}
    assert by_name["churn-prediction-version"]["inputs"]["__provider"].startswith("[pickled provider")
    assert "churn-prediction-version" in by_name["churn-prediction"]["dependsOn"]


def test_token_never_reaches_files_or_output(rendered_local):
    out, result = rendered_local
    assert TOKEN not in result.stdout + result.stderr
    for path in out.rglob("*"):
        if path.is_file():
            assert TOKEN not in path.read_text(), path


def test_bad_catalogue_exits_non_zero_with_one_line_per_problem_and_writes_nothing(tmp_path, mlflow_server):
    project = copy_project(tmp_path)
    entry = project / "models" / "churn-prediction.yaml"
    entry.write_text(
        entry.read_text()
        .replace("memory: 1Gi}", "memory: 1GB}")
        .replace("team: customer-analytics", "team: Customer Analytics")
    )
    out = tmp_path / "out"
    result = ops(
        "render",
        "--stack",
        "local",
        "--out",
        str(out),
        "--project",
        str(project),
        env={"MLFLOW_TRACKING_URI": mlflow_server.uri},
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "error: 2 problem(s); nothing was written:"
    assert lines[1].startswith("  - models/churn-prediction.yaml: team:")
    assert lines[2].startswith(
        "  - models/churn-prediction.yaml: resources.requests.memory: '1GB' is not a Kubernetes quantity"
    )
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_unreachable_registry_exits_non_zero_and_keeps_the_previous_render(tmp_path, rendered_local):
    previous, _ = rendered_local
    before = sorted(str(p.relative_to(previous)) for p in previous.rglob("*"))
    result = ops(
        "render", "--stack", "local", "--out", str(previous), env={"MLFLOW_TRACKING_URI": "http://127.0.0.1:9"}
    )
    assert result.returncode == 2
    assert "MLflow registry http://127.0.0.1:9" in result.stderr and "Traceback" not in result.stderr
    assert sorted(str(p.relative_to(previous)) for p in previous.rglob("*")) == before


def test_demo_seeds_once_renders_dev_and_shows_the_refused_challenger(tmp_path):
    project = copy_project(tmp_path)
    first = ops("demo", "--project", str(project))
    assert first.returncode == 0, first.stderr
    seeded = re.search(r"(\d+) model versions \((\d+) registered now, 0 already there\)", first.stdout)
    assert seeded and seeded[1] == seeded[2] and int(seeded[1]) >= 4
    refused = [line for line in first.stdout.splitlines() if line.startswith("fraud-detection") and "REFUSED" in line]
    assert len(refused) == 1 and "does not beat it by 0.01" in refused[0] and "champion v1" in refused[0]
    assert (project / "rendered" / "dev" / "plan.json").exists()
    second = ops("demo", "--project", str(project))
    assert second.returncode == 0, second.stderr
    assert f"{seeded[1]} model versions (0 registered now, {seeded[1]} already there)" in second.stdout
