"""`ops preview-offline --base-tree DIR`: a fork's pull-request report from the base branch's checkout, in one
process, rendering only what the change can have touched.

The fork workflow used to render both branches whole (and run the whole program twice more for the cost
line): four runs of every resource for a change to one model file. Here, when base and head hold the same
code and stack files (every tracked file but the catalogue's YAML is identical, and neither checkout has
uncommitted changes to tracked files), both sides are rendered by this process's code with serving and
delivery only for the models in `preview_scope` (program/preview_scope.py says why that is exact); the
two renders also give the cost line (the head's guardrail report and the base's plan.json hold their
ceilings). Otherwise both are rendered whole: the base by its own code (`python -m ops render` in its
checkout) when it holds the program, and the report says why.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from catalogue.loader import load_catalogue
from core.fingerprint import Unfingerprintable
from core.problems import ConfigError
from ops.offline.guardrail_gate import GuardrailViolations
from ops.offline.plan_diff import load_plan
from ops.offline.program_run import ProgramError
from ops.offline.render import PLAN_FILE, RENDER_OVERRIDES, RenderResult, render
from ops.offline.snapshot import RegistrySnapshot, SnapshotResolver
from ops.offline.stack_settings import offline_loaded_settings
from ops.progress import Progress
from program.preview_scope import ModelInputs, model_inputs, preview_scope
from program.stack_plan import plan_stack
from settings.pulumi_config import LoadedSettings

GIT_SECONDS = 60  # each git command that reads a checkout's files
BASE_RENDER_SECONDS = 1800  # the base branch's own render, when its code differs (the workflow's job has 30 min)


@dataclass(frozen=True)
class TreePreview:
    head: RenderResult
    base_plan: dict | None  # None: the base branch did not render
    notes: list[str]
    scope: frozenset[str] | None  # the models rendered on both sides; None: both rendered whole


def tree_state(tree: Path, catalogue_dir: str) -> str | None:
    """sha256 over every tracked file's path and blob id except the catalogue's YAML files (read from the
    working tree by both renders); None when `tree` is not a git work tree, git cannot answer in time, or
    another tracked file differs from the commit (its blob id would not be its contents)."""
    prefix = catalogue_dir.strip("/") + "/"

    def catalogue_entry(path: str) -> bool:
        return path.startswith(prefix) and path.endswith((".yaml", ".yml"))

    try:
        changed = _git(tree, "diff", "--name-only", "--no-renames", "-z", "HEAD")
        listing = _git(tree, "ls-files", "--stage", "-z")
    except (OSError, subprocess.SubprocessError):
        return None
    if changed is None or listing is None or any(p and not catalogue_entry(p) for p in changed.split("\0")):
        return None
    digest = hashlib.sha256()
    for entry in sorted(listing.split("\0")):
        if entry and not catalogue_entry(entry.split("\t", 1)[-1]):
            digest.update(entry.encode() + b"\0")
    return digest.hexdigest()


def _git(tree: Path, *args: str) -> str | None:
    done = subprocess.run(
        ["git", "-C", str(tree), *args], capture_output=True, text=True, timeout=GIT_SECONDS, check=False
    )
    return done.stdout if done.returncode == 0 else None


def _inputs(project_dir: Path, loaded: LoadedSettings) -> ModelInputs | str:
    """The stack's per-model inputs, or why the preview cannot be scoped on them."""
    if loaded.stack.mlflow_server.enabled:
        # Planning asks the stack's own server which models it has: a network call the preview does not make.
        return "the stack runs its own MLflow server"
    try:
        return model_inputs(plan_stack(loaded, load_catalogue(project_dir / loaded.stack.models_dir)))
    except Unfingerprintable as err:
        return f"a plan holds a value the preview cannot compare ({err})"


def preview_against_tree(
    project_dir: Path,
    base_tree: Path,
    stack: str,
    snapshot: RegistrySnapshot,
    out_dir: Path | None = None,
    progress: Progress | None = None,
) -> TreePreview:
    """The head's render (to `out_dir`), the base's plan and the report's notes and cost line. A head that
    does not render raises as `ops render` does; a base that does not render is reported against nothing."""
    project_dir, base_tree = project_dir.resolve(), base_tree.resolve()
    head_settings = offline_loaded_settings(project_dir, stack, RENDER_OVERRIDES)  # a bad head stops here
    catalogue_dir = head_settings.stack.models_dir  # the same in both when their stack files are
    head_state = tree_state(project_dir, catalogue_dir)
    same_program = head_state is not None and head_state == tree_state(base_tree, catalogue_dir)
    scope: frozenset[str] | None = None
    why_whole = "base and head differ in more than catalogue entries (code, stack files or uncommitted changes)"
    if same_program:
        head_inputs = _inputs(project_dir, head_settings)
        try:
            # Identical stack files: the base's settings are the head's; only its catalogue is its own.
            base_inputs = _inputs(base_tree, head_settings)
        except ConfigError:
            base_inputs = "the base branch's catalogue does not load"
        if isinstance(head_inputs, ModelInputs) and isinstance(base_inputs, ModelInputs):
            scope = preview_scope(base_inputs, head_inputs)
        else:
            why_whole = head_inputs if isinstance(head_inputs, str) else str(base_inputs)
    with tempfile.TemporaryDirectory(prefix="base-render-") as tmp:
        base_out = Path(tmp) / stack
        base_plan, base_note = _render_base(base_tree, stack, snapshot, base_out, scope, same_program, progress)
        head_resolver = SnapshotResolver(snapshot)
        head = render(project_dir, stack, out_dir, resolve_dynamic=head_resolver, progress=progress, only_models=scope)
    notes = head_resolver.notes()
    if base_note:
        notes.append(base_note)
    if scope is None:
        notes.append(f"Both branches were rendered whole: {why_whole}.")
    else:
        notes.append(
            f"Scoped preview: serving and delivery rendered for {len(scope)} model(s) on both sides "
            f"({', '.join(sorted(scope)) or 'none'}): those whose catalogue entry or plans differ between base "
            "and head, their fallbacks and every GPU model (the GPU ceiling adds up their canaries). Every other "
            "model has identical inputs on both sides (same code, stack files, entry and plans), so its serving "
            "and delivery resources are unchanged and were not rendered; every model's version and the whole "
            "platform were."
        )
    return TreePreview(head, base_plan, notes, scope)


def _render_base(
    base_tree: Path,
    stack: str,
    snapshot: RegistrySnapshot,
    out: Path,
    scope: frozenset[str] | None,
    same_program: bool,
    progress: Progress | None,
) -> tuple[dict | None, str | None]:
    """The base's plan and a note when it did not render. Same program: rendered here (scoped when `scope`);
    a different one that holds the program: by its own code; data only (no program in it): by this code."""
    if same_program or not (base_tree / "ops" / "__main__.py").is_file():
        try:
            render(
                base_tree, stack, out, resolve_dynamic=SnapshotResolver(snapshot), progress=progress, only_models=scope
            )
        except (ConfigError, ProgramError, GuardrailViolations) as err:
            return None, f"The base branch does not render ({_first_line(err)}): every resource counts as a create."
        return load_plan(out / PLAN_FILE), None
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as file:
        json.dump(snapshot.to_dict(), file)
    cmd = [sys.executable, "-m", "ops", "render", "--stack", stack, "--registry-snapshot", file.name, "--out", str(out)]
    try:
        done = subprocess.run(cmd, cwd=base_tree, capture_output=True, text=True, timeout=BASE_RENDER_SECONDS)
    except subprocess.TimeoutExpired:
        return None, f"The base branch's render took over {BASE_RENDER_SECONDS} s: every resource counts as a create."
    finally:
        Path(file.name).unlink(missing_ok=True)
    if done.returncode != 0 or not (out / PLAN_FILE).is_file():
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return None, f"The base branch does not render ({last}): every resource counts as a create."
    return load_plan(out / PLAN_FILE), None


def _first_line(err: Exception) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]
