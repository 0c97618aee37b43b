"""The fork's pull-request preview against the base branch's checkout (ops/offline/scoped_preview.py).

The promise: the scoped preview (only the models a change touched, rendered on both sides) reports exactly
what rendering both branches whole reports: every create, update, replace and delete, with the same
properties, and the same cost line. Each case below renders both ways, on real git checkouts of the
repository's stack files and catalogue, and compares.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ops.__main__ import main
from ops.offline.plan_diff import offline_changes
from ops.offline.render import COST_CEILING_KEY, cost_ceiling, render
from ops.offline.scoped_preview import preview_against_tree, tree_state
from ops.offline.snapshot import RegistrySnapshot, SnapshotResolver
from ops.report.stack_report import StackReport
from ops.resource_types import DYNAMIC_TYPE
from program.preview_scope import ModelInputs, preview_scope

REPO = Path(__file__).resolve().parent.parent
SNAPSHOT = RegistrySnapshot(
    source="test snapshot",
    stack="",
    taken_at="2026-12-04T12:00:00+00:00",
    models={"churn-prediction": {"version": "6"}, "fraud-detection": {"version": "3"}},
)
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}
GPU_MODELS = {"image-classifier", "support-assistant"}  # models/*.yaml with serving.gpu


@pytest.fixture(autouse=True)
def no_registry(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # a closed port: nothing may need it


def git(tree: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(tree), *args], capture_output=True, text=True, check=True, env={**os.environ, **GIT_ENV}
    )
    return done.stdout


def checkouts(tmp_path: Path) -> tuple[Path, Path]:
    """The base branch (the repository's stack files and catalogue, committed) and a clone to change."""
    base = tmp_path / "base"
    base.mkdir()
    for stack_file in REPO.glob("Pulumi*.yaml"):
        shutil.copy(stack_file, base / stack_file.name)
    shutil.copytree(REPO / "models", base / "models")
    git(base, "init", "-q")
    git(base, "add", "-A")
    git(base, "commit", "-qm", "base")
    head = tmp_path / "head"
    subprocess.run(["git", "clone", "-q", str(base), str(head)], check=True)
    return base, head


def bump_replicas(head: Path, model: str) -> None:
    path = head / "models" / f"{model}.yaml"
    text = re.sub(r"maxReplicas: (\d+)", lambda m: f"maxReplicas: {int(m.group(1)) + 1}", path.read_text())
    path.write_text(text)


def commit(head: Path) -> None:
    git(head, "add", "-A")
    git(head, "commit", "-qm", "change")


def rows(log) -> list[tuple]:
    return sorted((c.op, c.urn, c.diffs, c.replace_keys) for c in log.changes if c.op != "same")


def whole(base: Path, head: Path, stack: str, tmp_path: Path):
    """The reference: both branches rendered whole, compared as `preview-offline --base-plan` does."""
    base_result = render(base, stack, tmp_path / "whole-base", resolve_dynamic=SnapshotResolver(SNAPSHOT))
    head_result = render(head, stack, tmp_path / "whole-head", resolve_dynamic=SnapshotResolver(SNAPSHOT))
    plan = json.loads((base_result.out_dir / "plan.json").read_text())
    return head_result, plan, offline_changes(head_result.run, SNAPSHOT, plan)


def scoped(base: Path, head: Path, stack: str, tmp_path: Path):
    preview = preview_against_tree(head, base, stack, SNAPSHOT, tmp_path / "scoped-head")
    return preview, offline_changes(preview.head.run, SNAPSHOT, preview.base_plan)


def served(plan: dict) -> set[str]:
    """The models whose version the plan resolves (every ModelVersion, scoped or not)."""
    return {e["inputs"]["model"] for e in plan["resources"] if "registered_model" in (e.get("inputs") or {})}


@pytest.mark.parametrize("stack", ["local", "dev", "staging", "prod"])
def test_a_change_to_one_model_is_rendered_alone_and_reported_as_the_whole_render_reports(stack, tmp_path):
    base, head = checkouts(tmp_path)
    bump_replicas(head, "fraud-detection")
    commit(head)
    full_head, full_plan, full_log = whole(base, head, stack, tmp_path)
    preview, log = scoped(base, head, stack, tmp_path)

    assert preview.scope == {"fraud-detection"} | (GPU_MODELS & served(full_plan))
    assert rows(log) == rows(full_log)
    assert any(op == "update" and "fraud-detection" in urn for op, urn, *_ in rows(log))
    # Fewer resources registered, yet every model's version and the whole platform are there.
    assert len(preview.head.run.resources) < len(full_head.run.resources)
    assert served(preview.base_plan) == served(full_plan)
    # The cost line: the same figures as the whole renders' guardrails give.
    assert preview.head.guard.monthly_usd == full_head.guard.monthly_usd
    assert cost_ceiling(preview.base_plan) == full_plan.get(COST_CEILING_KEY)
    # Every file the scoped render wrote is the whole render's, byte for byte (plan.json aside).
    for path in preview.head.files:
        if path.name != "plan.json":
            relative = path.relative_to(preview.head.out_dir)
            assert path.read_bytes() == (full_head.out_dir / relative).read_bytes(), relative
    assert any("Scoped preview" in note and "fraud-detection" in note for note in preview.notes)


def test_a_changed_model_brings_its_unchanged_fallback(tmp_path):
    base, head = checkouts(tmp_path)
    bump_replicas(head, "churn-prediction")  # its delivery's switch route waits for the baseline's serving
    commit(head)
    _, full_plan, full_log = whole(base, head, "prod", tmp_path)
    preview, log = scoped(base, head, "prod", tmp_path)
    assert preview.scope == {"churn-prediction", "churn-prediction-baseline"} | GPU_MODELS
    assert rows(log) == rows(full_log)


def test_added_and_removed_models_are_created_and_deleted_as_whole_renders_say(tmp_path):
    base, head = checkouts(tmp_path)
    (head / "models" / "fraud-detection.yaml").rename(head / "models" / "fraud-scoring.yaml")
    entry = head / "models" / "fraud-scoring.yaml"
    entry.write_text(entry.read_text().replace("name: fraud-detection", "name: fraud-scoring"))
    commit(head)
    _, _, full_log = whole(base, head, "staging", tmp_path)
    preview, log = scoped(base, head, "staging", tmp_path)
    assert {"fraud-detection", "fraud-scoring"} <= preview.scope
    assert rows(log) == rows(full_log)
    ops = {op for op, *_ in rows(log)}
    assert {"create", "delete"} <= ops


def test_a_change_outside_the_catalogue_renders_both_branches_whole(tmp_path):
    base, head = checkouts(tmp_path)
    bump_replicas(head, "fraud-detection")
    stack_file = head / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text() + "\n# a comment is a change: the files are compared, not guessed\n")
    commit(head)
    _, _, full_log = whole(base, head, "dev", tmp_path)
    preview, log = scoped(base, head, "dev", tmp_path)
    assert preview.scope is None
    assert rows(log) == rows(full_log)
    assert any("rendered whole" in note and "more than catalogue entries" in note for note in preview.notes)


def test_uncommitted_changes_to_tracked_files_render_whole(tmp_path):
    base, head = checkouts(tmp_path)
    assert tree_state(head, "models") == tree_state(base, "models")
    bump_replicas(head, "fraud-detection")  # a catalogue entry: still the same program
    assert tree_state(head, "models") == tree_state(base, "models")
    commit(head)
    (head / "Pulumi.local.yaml").write_text((head / "Pulumi.local.yaml").read_text() + "\n# not committed\n")
    assert tree_state(head, "models") is None  # the blob ids would not be the file's contents
    (head / "untracked.txt").write_text("untracked files are no input of the program\n")
    git(head, "checkout", "Pulumi.local.yaml")
    assert tree_state(head, "models") == tree_state(base, "models")
    assert tree_state(head / "models" / "not-a-checkout", "models") is None


def test_a_base_that_does_not_render_is_reported_against_nothing(tmp_path):
    base, head = checkouts(tmp_path)
    broken = base / "models" / "fraud-detection.yaml"
    broken.write_text(broken.read_text().replace("maxReplicas: 3", "maxReplicas: many"))
    git(base, "commit", "-qam", "broken entry")
    git(head, "pull", "-q", "--no-rebase", "--no-edit")
    git(head, "revert", "--no-edit", "HEAD")  # the pull request repairs it
    preview, log = scoped(base, head, "dev", tmp_path)
    assert preview.base_plan is None and preview.scope is None
    # Against nothing: every resource is a create (the version rows compare with the snapshot, as always).
    assert {c.op for c in log.changes if c.type != DYNAMIC_TYPE} == {"create"}
    assert any("base branch does not render" in note for note in preview.notes)


def test_a_base_holding_other_code_is_rendered_by_that_code(tmp_path):
    """When the base's code differs, its own `python -m ops render` renders it (here a stand-in for the
    base branch's program that records its arguments), and the head renders whole."""
    base, head = checkouts(tmp_path)
    (base / "ops").mkdir()
    (base / "ops" / "__main__.py").write_text(
        "import json, pathlib, sys\n"
        "args = sys.argv[1:]\n"
        "out = pathlib.Path(args[args.index('--out') + 1])\n"
        "out.mkdir(parents=True)\n"
        "snapshot = json.loads(pathlib.Path(args[args.index('--registry-snapshot') + 1]).read_text())\n"
        "plan = {'stack': args[args.index('--stack') + 1], 'argv': args, 'snapshotModels': sorted(snapshot['models']),\n"
        "        'resources': [], 'costCeilingUsd': 12.5}\n"
        "(out / 'plan.json').write_text(json.dumps(plan))\n"
    )
    git(base, "add", "-A")
    git(base, "commit", "-qm", "other code")
    preview = preview_against_tree(head, base, "dev", SNAPSHOT, tmp_path / "out")
    assert preview.scope is None
    assert preview.base_plan is not None
    assert preview.base_plan["argv"][:3] == ["render", "--stack", "dev"]
    assert preview.base_plan["snapshotModels"] == sorted(SNAPSHOT.models)
    assert cost_ceiling(preview.base_plan) == 12.5

    (base / "ops" / "__main__.py").write_text("import sys\nsys.exit('the base program refused its stack file')\n")
    git(base, "commit", "-qam", "failing")
    preview = preview_against_tree(head, base, "dev", SNAPSHOT, tmp_path / "out2")
    assert preview.base_plan is None
    assert any("the base program refused its stack file" in note for note in preview.notes)


def test_the_command_writes_the_report_with_its_own_cost_line(tmp_path, capsys):
    base, head = checkouts(tmp_path)
    bump_replicas(head, "fraud-detection")
    commit(head)
    snap = tmp_path / "snap.json"
    snap.write_text(json.dumps(SNAPSHOT.to_dict()))
    report = tmp_path / "reports" / "prod.json"
    args = ["preview-offline", "--stack", "prod", "--registry-snapshot", str(snap), "--project", str(head)]
    args += ["--base-tree", str(base), "--out", str(tmp_path / "out"), "--report-json", str(report)]
    assert main(args) == 0
    saved = StackReport.load(report)
    assert saved.cost is not None and saved.cost.ceiling > 0 and saved.cost.previous == saved.cost.ceiling
    assert any("Scoped preview" in note for note in saved.notes)
    with pytest.raises(SystemExit):
        main([*args, "--base-plan", str(tmp_path / "plan.json")])  # one base or the other
    capsys.readouterr()


# -------------------------------------------------------------------------------------------- the scope


def inputs(fingerprints: dict[str, str], gpu=(), fallbacks=None) -> ModelInputs:
    return ModelInputs(fingerprints, frozenset(gpu), fallbacks or {})


def test_the_scope_is_the_changed_models_every_gpu_model_and_their_fallbacks_transitively():
    base = inputs({"a": "1", "b": "1", "c": "1", "d": "1", "g": "1"}, gpu={"g"}, fallbacks={"a": "b", "b": "c"})
    head = inputs(
        {"a": "2", "b": "1", "c": "1", "d": "1", "g": "1", "new": "1"}, gpu={"g"}, fallbacks={"a": "b", "b": "c"}
    )
    assert preview_scope(base, head) == {"a", "b", "c", "g", "new"}
    removed = inputs({"b": "1", "c": "1", "d": "1", "g": "1"}, gpu={"g"}, fallbacks={"b": "c"})
    assert preview_scope(base, removed) == {"a", "b", "c", "g"}  # a's old fallback chain, from the base
    assert preview_scope(base, base) == {"g"}


def test_fingerprints_are_the_same_in_every_process_and_differ_on_any_field():
    code = (
        "import dataclasses, sys; sys.path.insert(0, sys.argv[1]);"
        "from core.fingerprint import fingerprint\n"
        "@dataclasses.dataclass(frozen=True)\n"
        "class P:\n"
        "    names: frozenset\n"
        "    hidden: int = dataclasses.field(default=0, repr=False)\n"
        "print(fingerprint({'p': P(frozenset({'alpha', 'beta', 'gamma', 'delta'})), 'm': {'x': 1.5, 'y': None}}))\n"
        "print(fingerprint(P(frozenset(), hidden=1)) != fingerprint(P(frozenset())))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code, str(REPO)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1  # set and mapping order never depends on the hash seed
    assert outputs.pop().splitlines()[1] == "True"  # a field hidden from repr still counts


def test_a_value_it_cannot_read_is_refused_not_guessed():
    from core.fingerprint import Unfingerprintable, fingerprint

    with pytest.raises(Unfingerprintable):
        fingerprint({"plan": object()})
    assert fingerprint([1, "1"]) != fingerprint(["1", 1]) and fingerprint(1.0) != fingerprint(1)
