"""Fork previews: the offline render against a registry snapshot, and the report from two renders.

No registry is reachable in these tests (MLFLOW_TRACKING_URI points at a closed port), which is the
point: a pull request from a fork has none either."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from core.problems import ConfigError
from ops.__main__ import main
from ops.automation.exit_codes import ExitCode
from ops.offline.snapshot import UNRESOLVED, load_snapshot
from ops.report.markdown import render_comment
from ops.report.stack_report import StackReport

PROJECT_DIR = Path(__file__).resolve().parent.parent
GATE = {"passed": True, "bypassed": False, "reasons": [], "candidate_metrics": {"accuracy": 0.91}}


@pytest.fixture(autouse=True)
def no_registry(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")


def write(path: Path, data) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def project_copy(tmp_path: Path, edit=None) -> Path:
    """The project's stack files and catalogue in a directory of its own (the code stays the repo's)."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.prod.yaml"):
        shutil.copy(PROJECT_DIR / name, project / name)
    shutil.copytree(PROJECT_DIR / "models", project / "models")
    if edit:
        stack = yaml.safe_load((project / "Pulumi.prod.yaml").read_text())
        edit(stack["config"])
        (project / "Pulumi.prod.yaml").write_text(yaml.safe_dump(stack), encoding="utf-8")
    return project


def test_snapshot_problems_are_listed_with_file_field_and_fix(tmp_path):
    bad = write(tmp_path / "snap.json", {"models": {"churn-prediction": {"selector": "alias=champion"}, "x": "7"}})
    with pytest.raises(ConfigError) as error:
        load_snapshot(bad)
    fields = [p.field for p in error.value.problems]
    assert fields == ["models.churn-prediction.version", "models.x.version"]
    assert all(p.source == str(bad) and p.fix for p in error.value.problems)


def test_a_bare_models_output_is_a_snapshot(tmp_path):
    snapshot = load_snapshot(write(tmp_path / "models.json", {"churn-prediction": {"version": "6", "gate": GATE}}))
    assert snapshot.models["churn-prediction"]["version"] == "6"


def test_render_with_a_snapshot_needs_no_registry_and_says_what_was_not_resolved(tmp_path, capsys):
    snap = write(
        tmp_path / "snap.json",
        {
            "stack": "prod",
            "takenAt": "2026-11-22T20:00:00+00:00",
            "models": {"churn-prediction": {"version": "6", "gate": GATE}},
        },
    )
    out = tmp_path / "rendered"
    assert main(["render", "--stack", "prod", "--registry-snapshot", str(snap), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "none was re-resolved against the live registry" in printed
    assert "`churn-prediction`: v6 (from the snapshot, not re-resolved)" in printed
    assert f"`fraud-detection`: absent from the snapshot, rendered as version `{UNRESOLVED}`" in printed
    models = json.loads((out / "plan.json").read_text())["outputs"]["models"]
    assert models["churn-prediction"]["version"] == "6"
    assert models["fraud-detection"]["version"] == UNRESOLVED


def test_offline_report_flags_a_gpu_pool_replacement_and_a_pinned_version(tmp_path):
    snap = write(
        tmp_path / "snap.json",
        {"models": {"churn-prediction": {"version": "6", "gate": GATE}, "fraud-detection": {"version": "3"}}},
    )
    base_out = tmp_path / "base"
    assert main(["render", "--stack", "prod", "--registry-snapshot", str(snap), "--out", str(base_out)]) == 0

    def change(config):
        config["mlops-platform:gpuNodePools"][1]["accelerator"]["driverVersion"] = "LATEST"
        config["mlops-platform:modelPins"] = {"churn-prediction": 5}

    head = project_copy(tmp_path, change)
    report_file = tmp_path / "prod.json"
    code = main(
        [
            "preview-offline",
            "--stack",
            "prod",
            "--registry-snapshot",
            str(snap),
            "--project",
            str(head),
            "--base-plan",
            str(base_out / "plan.json"),
            "--out",
            str(tmp_path / "head"),
            "--report-json",
            str(report_file),
        ]
    )
    assert code == ExitCode.OK
    report = StackReport.load(report_file)
    replaced = [c for c in report.log.changes if c.op == "replace"]
    assert [c.type for c in replaced] == ["gcp:container/nodePool:NodePool"]
    assert "nodeConfig.guestAccelerators[0].gpuDriverInstallationConfig.gpuDriverVersion" in replaced[0].replace_keys
    body = render_comment([report])
    assert "[!CAUTION]" in body and "will be replaced" in body
    assert "| `churn-prediction` | v6 → v5 |" in body and "bypassed (pinned)" in body
    assert any("none was re-resolved" in n for n in report.notes)
    assert report.log.counts().get("same", 0) > 10  # everything else is unchanged against the base
