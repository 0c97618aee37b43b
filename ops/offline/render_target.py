"""Where a render may write: only a directory that is a previous render, or a new or empty one.

`--out` names a directory the render replaces wholesale, so a wrong path (`--out .`, `--out ~`) must
never be taken as permission to delete. A render marks its output with MARKER; only a directory that
carries it is ever replaced. Everything is checked before the program runs, and again right before the
swap (the directory may have changed while the program ran).
"""

from __future__ import annotations

from pathlib import Path

from core.problems import ConfigError, Problem

MARKER = ".mlops-render"
MARKER_TEXT = "Written by `python -m ops render`; a later render may replace this whole directory.\n"
SOURCE = "--out"


def refusal(out_dir: Path, project_dir: Path) -> Problem | None:
    """Why the render must not replace out_dir (None when it may). Paths are resolved first, so
    `.`, `..`, `~` and symlinks are judged by where they really point."""
    target = out_dir.expanduser().resolve()
    project = project_dir.resolve()
    shown = str(out_dir)
    if target == project:
        return Problem(SOURCE, "", f"{shown} is the project directory", "name a new directory, e.g. rendered/<stack>")
    if project.is_relative_to(target):
        return Problem(
            SOURCE,
            "",
            f"{shown} contains the project directory {project}",
            "name a new directory, e.g. rendered/<stack>",
        )
    if target.exists() and not target.is_dir():
        return Problem(SOURCE, "", f"{shown} is a file, not a directory", "name a directory (new, empty or a render)")
    if target.is_dir() and not (target / MARKER).is_file() and any(target.iterdir()):
        return Problem(
            SOURCE,
            "",
            f"{shown} is a non-empty directory that is not a previous render (no {MARKER} in it)",
            "name a new or empty directory; a render only ever replaces its own earlier output "
            "(a render from before the marker existed: delete it once, e.g. `make clean`)",
        )
    return None


def check_target(out_dir: Path, project_dir: Path) -> None:
    """Raises ConfigError when out_dir may not be replaced; nothing has been touched then."""
    problem = refusal(out_dir, project_dir)
    if problem:
        raise ConfigError([problem])


def mark(directory: Path) -> Path:
    path = directory / MARKER
    path.write_text(MARKER_TEXT, encoding="utf-8")
    return path
