"""Golden renders: each stack's offline render with the values that change from run to run masked.

What is masked, and why it varies: the test registry's port (a free port per session), MLflow run and
logged-model ids (random), experiment ids (creation order in the session), times (registration and
deployment), and temporary paths. Everything else (objects, names, versions, metrics, gates) is what a
reviewer should see change.
"""

from __future__ import annotations

import difflib
import json
import re
import tempfile
from pathlib import Path

import yaml

from ops.offline.guardrail_gate import guard_run
from ops.offline.program_run import ProgramRun
from ops.offline.render import _write
from ops.offline.render_target import mark

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
_MASKS = (
    (re.compile(r"(https?://(?:127\.0\.0\.1|localhost)):\d+"), r"\1:<port>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<id>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?"), "<time>"),
    (re.compile(r"(mlflow-artifacts:/)\d+/"), r"\1<experiment>/"),
    (re.compile(r"(file://)?/tmp/pytest-of-[^/\s\"']+/pytest-\d+/"), "<tmp>/"),
    (re.compile(r"/tmp/tmp[a-z0-9_]{6,}"), "<tmp>"),
)


def masked(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def canonical(path: Path) -> str:
    """The file with mapping keys sorted (lists keep their order): the engine hands inputs over as
    protobuf maps, whose key order is not a property of what we emit."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".yaml":
        return yaml.safe_dump(yaml.safe_load(text), sort_keys=True)
    if path.suffix == ".json":
        return json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
    return text


def render_files(run: ProgramRun) -> dict[str, str]:
    """{relative path: masked, canonical text} of the render `ops render` writes for this run."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        files = _write(run, root, guard=guard_run(run)) + [mark(root)]
        return {str(path.relative_to(root)): masked(canonical(path)) for path in files}


def stored(stack: str) -> dict[str, str]:
    root = GOLDEN_DIR / stack
    if not root.is_dir():
        return {}
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*")) if p.is_file()}


def store(stack: str, files: dict[str, str]) -> None:
    root = GOLDEN_DIR / stack
    for old in sorted(root.rglob("*"), reverse=True) if root.is_dir() else []:
        old.unlink() if old.is_file() else old.rmdir()
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def differences(stack: str, expected: dict[str, str], actual: dict[str, str], limit: int = 200) -> str:
    """A readable report: files gone, files new, and a unified diff of each changed file."""
    lines = [
        f"- {stack}/{name}: in the golden render, not rendered now" for name in sorted(set(expected) - set(actual))
    ]
    lines += [
        f"+ {stack}/{name}: rendered now, not in the golden render" for name in sorted(set(actual) - set(expected))
    ]
    for name in sorted(set(expected) & set(actual)):
        if expected[name] != actual[name]:
            lines += difflib.unified_diff(
                expected[name].splitlines(),
                actual[name].splitlines(),
                f"golden/{stack}/{name}",
                f"rendered/{stack}/{name}",
                lineterm="",
            )
    if len(lines) > limit:
        lines = lines[:limit] + [f"... {len(lines) - limit} more lines"]
    return "\n".join(lines)
