"""The PR comment's cost line and the fork previews' registry snapshot, end to end and in the workflows.

Before: no workflow passed `--cost` (the comment's cost line was always empty), and the snapshot was
published by drift.yml, whose failure on a drift finding made fork previews skip it (they looked for the
last *successful* drift run), with nothing in the comment saying how old the snapshot was."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from ops.__main__ import main
from ops.offline.snapshot import STALE_AFTER, RegistrySnapshot, age_note
from ops.report.stack_report import StackReport, load_costs
from tests.test_workflows import WORKFLOWS

WORKFLOW_DIR = WORKFLOWS[0].parent
REPORTING = re.compile(r"python -m ops (preview|preview-offline) .*--report-json")
COST_FLAG = re.compile(r'--cost "([^"]+)"')
COST_STEP = re.compile(r'python -m ops cost .*--out "([^"]+)"')


@pytest.fixture(autouse=True)
def no_registry(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # a closed port: nothing may need it


def workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOW_DIR / name).read_text())


def runs(job: dict) -> list[str]:
    return [step.get("run", "") for step in job.get("steps", [])]


# ---------------------------------------------------------------------------------------------- snapshot age


def snapshot(taken_at: str) -> RegistrySnapshot:
    return RegistrySnapshot("snap.json", "prod", taken_at, {})


def test_the_snapshot_age_is_stated_and_flagged_when_stale():
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    fresh = age_note(snapshot("2026-12-02T08:30:00+00:00"), now)
    assert fresh == "Registry snapshot age: 3 h 30 min (taken 2026-12-02T08:30+00:00)"
    stale = age_note(snapshot((now - STALE_AFTER - timedelta(minutes=1)).isoformat()), now)
    assert stale.startswith("⚠️ Registry snapshot age: 24 h 01 min") and "older than 24 h" in stale
    assert age_note(snapshot(""), now).startswith("⚠️ Registry snapshot of unknown age")


# ---------------------------------------------------------------------------------------------- end to end


def test_cost_then_offline_preview_puts_the_ceiling_and_the_snapshot_age_in_the_comment(tmp_path, capsys):
    base_cost, head_cost = tmp_path / "base-cost.json", tmp_path / "cost" / "prod.json"
    assert main(["cost", "--stack", "prod", "--out", str(base_cost)]) == 0
    assert main(["cost", "--stack", "prod", "--previous", str(base_cost), "--out", str(head_cost)]) == 0
    ceiling = load_costs(head_cost)["prod"]
    assert ceiling.ceiling > 0 and ceiling.previous == ceiling.ceiling  # same code and stack files: unchanged

    taken = (datetime.now(UTC) - timedelta(hours=2)).isoformat(timespec="seconds")
    snap = tmp_path / "snap.json"
    snap.write_text(json.dumps({"stack": "prod", "takenAt": taken, "models": {}}), encoding="utf-8")
    report_file = tmp_path / "reports" / "prod.json"
    code = main(
        [
            "preview-offline",
            "--stack",
            "prod",
            "--registry-snapshot",
            str(snap),
            "--out",
            str(tmp_path / "head"),
            "--report-json",
            str(report_file),
            "--cost",
            str(head_cost),
        ]
    )
    assert code == 0
    assert StackReport.load(report_file).cost == ceiling
    capsys.readouterr()
    assert main(["pr-comment", str(report_file), "--print"]) == 0
    body = capsys.readouterr().out
    assert f"**Cost ceiling**: USD {ceiling.ceiling:,.2f}/month (unchanged)" in body
    assert re.search(r"Registry snapshot age: [12] h \d\d min", body)


# ---------------------------------------------------------------------------------------------- workflows


def test_every_reported_preview_passes_the_cost_file_an_earlier_step_wrote():
    checked = 0
    for path in WORKFLOWS:
        for name, job in yaml.safe_load(path.read_text())["jobs"].items():
            written: list[str] = []
            for text in runs(job):
                written += COST_STEP.findall(text)
                for line in text.splitlines():
                    if COST_STEP.search(line):  # a refused change still gets its report, without a cost line
                        assert "|| echo" in line, f"{path.name}:{name}: {line.strip()} can fail the preview"
                for line in text.splitlines():
                    if not REPORTING.search(line):
                        continue
                    checked += 1
                    if "--base-tree" in line:  # renders both branches itself: the cost line comes from them
                        assert not COST_FLAG.search(line), f"{path.name}:{name}: --cost would hide the renders' figure"
                        continue
                    flag = COST_FLAG.search(line)
                    assert flag, f"{path.name}:{name}: {line.strip()} renders a report without --cost"
                    assert flag.group(1) in written, f"{path.name}:{name}: no earlier `ops cost --out {flag.group(1)}`"
    assert checked >= 2  # the real preview and the fork's offline one
    assert load_costs(Path("/nonexistent/cost.json")) == {}  # so --cost of a figure never written is no line


def test_the_snapshot_is_published_apart_from_the_drift_verdict():
    snapshots = workflow("snapshot.yml")
    (job,) = snapshots["jobs"].values()
    assert any("python -m ops snapshot" in r for r in runs(job))
    assert not any("ops refresh" in r or "expect-no-changes" in r for r in runs(job)), "no drift verdict here"
    assert "needs" not in job and job["strategy"]["fail-fast"] is False
    triggers = snapshots[True]  # PyYAML reads `on:` as True
    assert "schedule" in triggers and "deploy" in triggers["workflow_run"]["workflows"]
    uploaded = [s["with"]["name"] for s in job["steps"] if "actions/upload-artifact" in s.get("uses", "")]
    assert uploaded == ["registry-snapshot-${{ matrix.stack }}"]
    drift = workflow("drift.yml")
    assert not any("ops snapshot" in r for j in drift["jobs"].values() for r in runs(j))


def test_fork_previews_take_the_newest_snapshot_artifact_whatever_its_runs_conclusion():
    preview = workflow("preview.yml")["jobs"]["preview"]
    text = "\n".join(runs(preview))
    assert "drift.yml" not in text and "--status success" not in text
    assert "actions/artifacts?name=registry-snapshot-$STACK" in text
    (download,) = [s for s in preview["steps"] if "actions/download-artifact" in s.get("uses", "")]
    assert download["with"]["name"] == "registry-snapshot-${{ matrix.stack }}"
    assert download["with"]["run-id"] == "${{ steps.snapshot.outputs.run-id }}"


def test_the_cost_command_refuses_an_unknown_stack_with_one_clear_error(tmp_path, capsys):
    assert main(["cost", "--stack", "nope", "--out", str(tmp_path / "c.json")]) == 2
    assert "Pulumi.nope.yaml" in capsys.readouterr().err
    assert not Path(tmp_path / "c.json").exists()
