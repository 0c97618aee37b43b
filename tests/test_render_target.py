"""`ops render --out DIR` never deletes what it did not write: each refusal names the path, exits 2 and
leaves every file where it was."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.problems import ConfigError
from ops.offline.render import render
from ops.offline.render_target import MARKER, check_target, mark
from tests.conftest import PROJECT_DIR


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, Path]:
    """A fake project (with a .git and a models folder) inside a home-like folder with unrelated files."""
    home = tmp_path / "home"
    project = home / "project"
    (project / ".git").mkdir(parents=True)
    (project / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (project / "models").mkdir()
    (project / "models" / "churn.yaml").write_text("name: churn\n")
    (home / "reports").mkdir()
    (home / "reports" / "q3.txt").write_text("quarterly numbers\n")
    (home / "notes.txt").write_text("not a directory\n")
    return home, project


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("project", "is the project directory"),
        (".", "contains the project directory"),
        ("reports", "is a non-empty directory that is not a previous render"),
        ("project/models", "is a non-empty directory that is not a previous render"),
        ("notes.txt", "is a file, not a directory"),
    ],
)
def test_render_refuses_a_target_it_did_not_write_and_deletes_nothing(workspace, out, message):
    home, project = workspace
    before = snapshot(home)
    with pytest.raises(ConfigError) as raised:
        render(project, "local", home / out)  # refused before the program runs: no registry needed
    (problem,) = raised.value.problems
    assert problem.source == "--out" and message in problem.message and problem.fix
    assert snapshot(home) == before


def test_a_parent_given_through_dot_dot_is_still_refused(workspace):
    home, project = workspace
    with pytest.raises(ConfigError, match="contains the project directory"):
        check_target(project / "models" / ".." / "..", project)


def test_new_empty_and_previous_render_directories_are_accepted(workspace):
    home, project = workspace
    (home / "empty").mkdir()
    previous = home / "previous"
    previous.mkdir()
    (previous / "plan.json").write_text("{}")
    mark(previous)
    for target in (home / "new", home / "empty", previous, project / "rendered" / "dev"):
        check_target(target, project)


def test_the_marker_is_what_makes_a_directory_replaceable(workspace):
    home, project = workspace
    target = home / "reports"
    with pytest.raises(ConfigError):
        check_target(target, project)
    (target / MARKER).write_text("x")
    check_target(target, project)


def test_cli_refusal_exits_2_with_one_clear_line_and_no_traceback(workspace):
    home, project = workspace
    before = snapshot(home)
    result = subprocess.run(
        [sys.executable, "-m", "ops", "render", "--stack", "local", "--project", str(project), "--out", str(home)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert f"--out: {home} contains the project directory" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(home) == before


def test_credentials_in_the_registry_uri_stop_the_render_and_are_never_printed(tmp_path):
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "ops", "render", "--stack", "local", "--out", str(out)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MLFLOW_TRACKING_URI": "http://alice:pw-NEVER-SHOWN@127.0.0.1:9"},
    )
    assert result.returncode == 2, result.stderr
    assert "carries credentials" in result.stderr and "mlflowToken" in result.stderr
    assert "pw-NEVER-SHOWN" not in result.stdout + result.stderr and "alice" not in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()
