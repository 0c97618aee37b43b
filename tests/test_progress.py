"""Progress output (ops/progress.py): live lines on a terminal, stable plain lines in CI, pipes and tests."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from catalogue.loader import load_catalogue
from ops.__main__ import main
from ops.automation.driver import Driver
from ops.automation.exit_codes import ExitCode
from ops.automation.run_options import RunOptions
from ops.progress import Progress
from tests.fake_pulumi import FakePulumiCommand, Scenario, pre_event, summary

PROJECT_DIR = Path(__file__).resolve().parent.parent


def terminal(buffer: io.StringIO) -> Console:
    return Console(file=buffer, force_terminal=True, width=100, color_system="standard")


def test_plain_output_is_one_stable_line_per_phase():
    out = io.StringIO()
    progress = Progress.plain(out)
    with progress.phase("models resolved", total=3) as phase:
        for name in ("a", "b", "c"):
            phase.advance(detail=name)
    with progress.phase("resources registered") as phase:
        phase.advance(5)
    progress.line("a note that stays")
    assert out.getvalue() == "models resolved: 3/3\nresources registered: 5\na note that stays\n"


def test_a_terminal_gets_a_live_display_that_ends_with_the_counts():
    out = io.StringIO()
    progress = Progress.detect(console=terminal(out), environ={})
    assert progress.live
    with progress.phase("files written", total=2) as phase:
        phase.advance(detail="deployment.yaml")
        phase.advance(detail="plan.json")
    shown = out.getvalue()
    assert "\x1b[" in shown  # drawn and redrawn with terminal codes (by rich, not by us)
    assert "files written" in shown and "2/2" in shown
    assert "files written: 2/2\n" not in shown  # no plain summary line on a terminal


def test_ci_true_and_json_force_plain_lines_even_on_a_terminal():
    for environ, json_output in (({"CI": "true"}, False), ({}, True)):
        out = io.StringIO()
        progress = Progress.detect(console=terminal(out), environ=environ, json_output=json_output)
        assert not progress.live
        with progress.phase("resources", total=1) as phase:
            phase.advance()
        assert out.getvalue() == "resources: 1/1\n"


def test_not_a_terminal_is_plain():
    assert not Progress.detect(file=io.StringIO(), environ={}).live


def test_render_reports_models_resources_and_files_as_plain_lines_on_stderr(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # the snapshot answers: no registry
    snapshot = tmp_path / "snap.json"
    snapshot.write_text(json.dumps({"models": {"churn-prediction": {"version": "6"}}}))
    out = tmp_path / "rendered"
    assert main(["render", "--stack", "prod", "--registry-snapshot", str(snapshot), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    plan = json.loads((out / "plan.json").read_text())
    models = len(load_catalogue(PROJECT_DIR / "models").for_environment("prod"))
    files = sum(1 for p in out.rglob("*") if p.is_file() and not p.name.startswith("."))
    assert captured.err.splitlines() == [
        f"models resolved: {models}/{models}",
        f"resources registered: {len(plan['resources'])}",
        f"files written: {files}/{files}",
    ]
    assert "models resolved" not in captured.out  # stdout keeps only the summary


def test_preview_on_a_terminal_counts_resources_on_one_live_line_and_keeps_the_change_lines():
    events = [
        pre_event("same", "kubernetes:core/v1:Namespace", "ml-churn-prediction", "dev"),
        pre_event("update", "kubernetes:apps/v1:Deployment", "churn-prediction-server", "dev"),
        summary({"same": 1, "update": 1}),
    ]
    out, lines = io.StringIO(), []
    progress = Progress.detect(console=terminal(out), environ={})
    d = Driver(
        RunOptions("dev", PROJECT_DIR),
        FakePulumiCommand(Scenario(events={"preview": events})),
        lines.append,
        progress=progress,
    )
    assert d.preview().code == ExitCode.OK
    shown = out.getvalue()
    assert "resources" in shown and "churn-prediction-server" in shown and "\x1b[" in shown
    assert not [line for line in lines if "Deployment" in line]  # on a terminal the change lines go through rich


def test_a_phase_that_fails_prints_no_plain_line_so_the_error_stands_alone():
    out = io.StringIO()
    progress = Progress.plain(out)
    try:
        with progress.phase("models resolved", total=2) as phase:
            phase.advance()
            raise ValueError("registry down")
    except ValueError:
        pass
    assert out.getvalue() == ""
