"""GitOps delivery reaches the branch Argo CD pulls: the complete tree from the state, committed with real
git to a real (bare, local) remote, idempotent, never deleting what it did not write; the model pins
committed to the stack file; and the workflows, the Applications and the writer agreeing on where.

The state is what `pulumi stack export` would hand over for the real program's registrations (the
offline engine's run of the repository's staging stack), served by the fake CLI (tests/fake_pulumi.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path, PurePosixPath

import pytest
import yaml
from pulumi.runtime import rpc

import ops.cli.ci as ci
from ops.__main__ import main
from ops.automation.driver import Driver
from ops.offline.engine import run_program
from ops.offline.program_run import ProgramRun
from ops.offline.render import _write
from ops.offline.wire_values import is_secret, unwrap
from ops.promotion.pins_file import read_pins, write_pins
from ops.publish.git_push import commit_and_push
from ops.publish.manifest_tree import APPLICATION_TYPE, MARKER, MODEL_LABEL, tree_from_state
from ops.stack_config import load_stack_config
from settings.gitops import DEFAULT_MODES, GitopsSettings
from tests.conftest import PROJECT_DIR, STACKS, registry_overrides
from tests.fake_pulumi import FakePulumiCommand, Scenario

WORKFLOWS = PROJECT_DIR / ".github" / "workflows"


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=60).stdout


def exported(value):
    """A wire-format value as `pulumi stack export` shows it: secrets as ciphertext, never in clear."""
    if is_secret(value):
        return {rpc._special_sig_key: rpc._special_secret_sig, "ciphertext": "v1:AAAA"}
    if isinstance(value, dict):
        return {k: exported(v) for k, v in value.items()}
    if isinstance(value, list):
        return [exported(v) for v in value]
    return value


def state_of(run: ProgramRun) -> dict:
    """The deployment `pulumi stack export` returns after an `up` that registered exactly `run`'s resources."""
    ids = {}
    for resource in run.resources:
        reference = resource.options.get("provider", "")
        if "::" in reference:
            urn, _, ident = reference.rpartition("::")
            ids[urn] = ident
    resources = []
    for resource in run.resources:
        entry = {
            "urn": resource.urn,
            "type": resource.type,
            "custom": resource.custom,
            "inputs": exported(resource.inputs),
            "outputs": exported(resource.outputs),
            "parent": resource.parent,
        }
        if resource.urn in ids:
            entry["id"] = ids[resource.urn]
        if resource.options.get("provider"):
            entry["provider"] = resource.options["provider"]
        resources.append(entry)
    return {"manifest": {}, "resources": resources}


@pytest.fixture(scope="module")
def staging_run(mlflow_server, seeded_demo) -> ProgramRun:
    config = load_stack_config(PROJECT_DIR, "staging", overrides=registry_overrides(mlflow_server.uri))
    return run_program(PROJECT_DIR, config)


@pytest.fixture
def origin(tmp_path) -> Path:
    remote = tmp_path / "origin.git"
    git("init", "-q", "--bare", "-b", "main", str(remote), cwd=tmp_path)
    return remote


def publish(monkeypatch, state: dict, remote: Path, capsys) -> tuple[int, str]:
    command = FakePulumiCommand(Scenario(deployment=state))
    monkeypatch.setattr(ci, "driver_factory", lambda options: Driver(options, command, write=lambda _: None))
    code = main(["publish", "--stack", "staging", "--remote", str(remote), "--source-commit", "abc123"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def branch_files(remote: Path, branch: str) -> dict[str, str]:
    listing = git("ls-tree", "-r", "--name-only", branch, cwd=remote).split()
    return {path: git("show", f"{branch}:{path}", cwd=remote) for path in listing}


def model_applications(state: dict) -> list[dict]:
    return [
        unwrap(r["inputs"])
        for r in state["resources"]
        if r["type"] == APPLICATION_TYPE and MODEL_LABEL in r["inputs"]["metadata"]["labels"]
    ]


def test_the_tree_from_the_state_is_the_complete_render_of_every_model(staging_run, tmp_path):
    tree = tree_from_state(state_of(staging_run))
    _write(staging_run, tmp_path)
    rendered = {
        p.relative_to(tmp_path).as_posix(): p.read_text()
        for p in (tmp_path / "deploy" / "manifests").rglob("*")
        if p.is_file()
    }
    assert tree.files == rendered  # every object of every model, byte for byte what the render writes
    served = set(staging_run.outputs["delivery"]["manifests"])
    assert {PurePosixPath(p).parts[3] for p in tree.files} == served
    assert tree.target and tree.target.branch == "deploy/staging" and tree.target.root == "deploy/manifests/staging"


def test_publish_commits_the_tree_where_the_applications_pull_it_and_a_re_run_commits_nothing(
    staging_run, origin, monkeypatch, capsys
):
    state = state_of(staging_run)
    code, out = publish(monkeypatch, state, origin, capsys)
    assert code == 0, out
    applications = model_applications(state)
    (branch,) = {a["spec"]["source"]["targetRevision"] for a in applications}
    files = branch_files(origin, branch)
    for application in applications:  # each Application's path holds exactly its model's objects
        path = application["spec"]["source"]["path"]
        objects = [yaml.safe_load(text) for name, text in files.items() if name.startswith(path + "/")]
        assert objects, path
        assert {o["metadata"]["namespace"] for o in objects} == {application["spec"]["destination"]["namespace"]}
    assert git("branch", "--list", "main", cwd=origin) == ""  # main is never written
    head = git("rev-parse", branch, cwd=origin)
    assert "abc123" in git("log", "-1", "--format=%B", branch, cwd=origin)

    code, out = publish(monkeypatch, state, origin, capsys)

    assert code == 0 and "nothing to commit" in out, out
    assert git("rev-parse", branch, cwd=origin) == head


def test_a_model_gone_from_the_state_is_removed_and_a_foreign_file_stops_the_publish(
    staging_run, origin, monkeypatch, capsys, tmp_path
):
    state = state_of(staging_run)
    assert publish(monkeypatch, state, origin, capsys)[0] == 0
    gone = "churn-prediction"
    (provider,) = [
        f"{r['urn']}::{r['id']}"
        for r in state["resources"]
        if r["inputs"].get("renderYamlToDirectory") == f"deploy/manifests/staging/{gone}"
    ]
    without = {
        "resources": [
            r
            for r in state["resources"]
            if r.get("provider") != provider
            and f"{r['urn']}::{r.get('id')}" != provider
            and not (r["type"] == APPLICATION_TYPE and r["inputs"]["metadata"]["name"] == gone)
        ]
    }
    assert publish(monkeypatch, without, origin, capsys)[0] == 0
    files = branch_files(origin, "deploy/staging")
    assert not any(f"/{gone}/" in p for p in files)
    assert any("/fraud-detection/" in p for p in files)

    # Someone commits a file of their own under the stack's directory: it is never deleted or overwritten.
    clone = tmp_path / "clone"
    git("clone", "-q", "-b", "deploy/staging", str(origin), str(clone), cwd=tmp_path)
    (clone / "deploy/manifests/staging/notes.yaml").write_text("hand: written\n")
    git("add", ".", cwd=clone)
    git("-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "by hand", cwd=clone)
    git("push", "-q", "origin", "deploy/staging", cwd=clone)
    head = git("rev-parse", "deploy/staging", cwd=origin)

    code, out = publish(monkeypatch, state, origin, capsys)

    assert code == 1 and "deploy/manifests/staging/notes.yaml" in out and "nothing was published" in out, out
    assert git("rev-parse", "deploy/staging", cwd=origin) == head
    assert MARKER in "".join(branch_files(origin, "deploy/staging"))


def test_a_branch_that_moved_between_fetch_and_push_is_fetched_again_and_nothing_is_lost(origin, tmp_path):
    other = tmp_path / "other"
    git("clone", "-q", str(origin), str(other), cwd=tmp_path)
    git("checkout", "-q", "-b", "deploy/prod", cwd=other)
    (other / "first.txt").write_text("1\n")
    git("add", ".", cwd=other)
    git("-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "first", cwd=other)
    git("push", "-q", "origin", "deploy/prod", cwd=other)
    calls = []

    def apply(work: Path) -> None:
        calls.append(work)
        if len(calls) == 1:  # another job lands its commit while this one is preparing its own
            (other / "theirs.txt").write_text("theirs\n")
            git("add", ".", cwd=other)
            git("-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "theirs", cwd=other)
            git("push", "-q", "origin", "deploy/prod", cwd=other)
        (work / "mine.txt").write_text("mine\n")

    result = commit_and_push(str(origin), "deploy/prod", apply, "mine", environ={})

    assert result.changed and result.attempts == 2
    assert set(branch_files(origin, "deploy/prod")) == {"first.txt", "theirs.txt", "mine.txt"}


def test_commit_pins_carries_the_models_pin_to_the_branch_and_a_re_run_commits_nothing(tmp_path, capsys):
    remote = tmp_path / "origin.git"
    git("init", "-q", "--bare", "-b", "main", str(remote), cwd=tmp_path)
    runner = tmp_path / "runner"
    git("clone", "-q", str(remote), str(runner), cwd=tmp_path)
    for name in ("Pulumi.yaml", "Pulumi.staging.yaml"):
        (runner / name).write_text((PROJECT_DIR / name).read_text())
    git("add", ".", cwd=runner)
    git("-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "base", cwd=runner)
    git("push", "-q", "origin", "main", cwd=runner)
    # Meanwhile someone pinned another model on main.
    other = tmp_path / "other"
    git("clone", "-q", str(remote), str(other), cwd=tmp_path)
    write_pins(other, "staging", {"fraud-detection": 2})
    git("-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qam", "pin fraud", cwd=other)
    git("push", "-q", "origin", "main", cwd=other)
    write_pins(runner, "staging", {"churn-prediction": 4})  # what `ops rollback` left on the runner
    args = ["commit-pins", "--stack", "staging", "--model", "churn-prediction", "--branch", "main"]

    assert main([*args, "--project", str(runner), "--message", "rollback by oncall: p99"]) == 0

    fresh = tmp_path / "fresh"
    git("clone", "-q", str(remote), str(fresh), cwd=tmp_path)
    assert read_pins(fresh, "staging") == {"churn-prediction": 4, "fraud-detection": 2}
    assert "rollback by oncall: p99" in git("log", "-1", "--format=%B", cwd=fresh)
    head = git("rev-parse", "main", cwd=remote)
    capsys.readouterr()

    assert main([*args, "--project", str(runner)]) == 0

    assert "nothing to commit" in capsys.readouterr().out
    assert git("rev-parse", "main", cwd=remote) == head


def _steps(workflow: str, job: str) -> list[dict]:
    return yaml.safe_load((WORKFLOWS / workflow).read_text())["jobs"][job]["steps"]


def _index(steps: list[dict], needle: str) -> int:
    return next(i for i, s in enumerate(steps) if needle in s.get("run", ""))


@pytest.mark.parametrize("stack", [s for s in STACKS if DEFAULT_MODES[s] == "gitops"])
def test_the_deploy_branch_argo_cd_pulls_is_what_the_jobs_push_and_never_the_branch_deploys_run_from(stack):
    values = load_stack_config(PROJECT_DIR, stack).values
    gitops = GitopsSettings.model_validate_json(values.get("mlops-platform:gitops", "{}") or "{}")
    branch = gitops.deploy_branch(values["mlops-platform:environment"])  # the Applications' targetRevision
    deploy = yaml.safe_load((WORKFLOWS / "deploy.yml").read_text())
    assert branch not in deploy[True]["push"]["branches"]  # a publish must not trigger a deploy of itself
    for workflow, job, acting in (("deploy-stack.yml", "up", "ops up"), ("operate.yml", "operate", "ops promote")):
        steps = _steps(workflow, job)
        publish = _index(steps, 'ops publish --stack "$STACK" --source-commit')
        assert _index(steps, acting) < publish  # the tree is built from the state this job's update left
        token = next(i for i, s in enumerate(steps) if "create-github-app-token" in s.get("uses", ""))
        assert token > _index(steps, acting)  # no write credential exists while the program runs
        assert steps[token]["with"]["permission-contents"] == "write"
        assert "steps.push-token.outputs.token" in steps[publish]["env"]["GITOPS_PUSH_TOKEN"]
        assert "--remote" not in steps[publish]["run"]  # pushes to the Applications' own repoURL
        job_permissions = yaml.safe_load((WORKFLOWS / workflow).read_text())["jobs"][job]["permissions"]
        assert job_permissions["contents"] == "read"  # GITHUB_TOKEN stays read-only


def test_operate_commits_the_pin_in_the_same_job_even_after_a_failed_update():
    steps = _steps("operate.yml", "operate")
    commit = _index(steps, "ops commit-pins")
    assert _index(steps, "ops rollback") < commit
    assert steps[commit]["if"].startswith("always()")  # a failed rollback's pin is what its re-run finishes
    assert '--model "$MODEL"' in steps[commit]["run"]
    assert "default_branch" in steps[commit]["env"]["DEFAULT_BRANCH"]
    operate = yaml.safe_load((WORKFLOWS / "operate.yml").read_text())["jobs"]["operate"]
    assert operate["if"] == "github.ref_name == github.event.repository.default_branch"


def test_the_deploy_branch_defaults_per_environment_and_a_bad_name_is_refused():
    assert GitopsSettings().deploy_branch("prod") == "deploy/prod"
    assert GitopsSettings(branch="release/manifests").deploy_branch("staging") == "release/manifests"
    for bad in ("deploy prod", "HEAD", "-x", "deploy/", "a..b"):
        with pytest.raises(ValueError, match="is not a Git branch name"):
            GitopsSettings(branch=bad)
