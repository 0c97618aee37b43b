"""approve.yml: the approval gate opened from GitHub, behind the stack's environment reviewers.

tests/test_workflows.py lints every workflow (actionlint, SHA pins, permissions, OIDC); this checks
what makes approve.yml an approval: it runs in the target stack's GitHub environment (whose required
reviewers approve the run), offers exactly the stacks whose canaries wait for approval, and drives
`python -m ops approve` on the stack's own cluster.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml

from ops.__main__ import main
from settings.delivery import DeliverySettings
from tests.delivery_fixtures import stack_settings

WORKFLOW = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "approve.yml"


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def test_it_runs_in_the_stacks_environment_by_hand_only():
    workflow = _workflow()
    assert set(workflow[True]) == {"workflow_dispatch"}  # YAML reads the key `on` as True
    (job,) = workflow["jobs"].values()
    assert job["environment"] == "${{ inputs.stack }}"
    assert job["permissions"] == {"contents": "read", "id-token": "write"}


def test_it_offers_exactly_the_stacks_whose_canaries_wait_for_approval():
    offered = _workflow()[True]["workflow_dispatch"]["inputs"]["stack"]["options"]
    gated = [
        s
        for s in ("dev", "staging", "prod")
        if stack_settings(s).delivery.policy(stack_settings(s).environment).approval
    ]
    assert offered == gated
    assert DeliverySettings().policy("dev").approval is False


def test_it_gets_the_stacks_cluster_credentials_then_approves():
    (job,) = _workflow()["jobs"].values()
    steps = job["steps"]
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    runs = [s.get("run", "") for s in steps]
    cluster = next(i for i, r in enumerate(runs) if "python -m ops gke-cluster" in r)
    credentials = uses.index("google-github-actions/get-gke-credentials")
    approve = next(i for i, r in enumerate(runs) if "python -m ops approve" in r)
    assert uses.index("google-github-actions/auth") < cluster < credentials < approve
    assert steps[credentials]["with"]["cluster_name"] == "${{ steps.cluster.outputs.name }}"
    assert shlex.split(runs[approve])[3:6] == ["approve", "$MODEL", "--stack"]


def test_gke_cluster_prints_the_stacks_cluster_for_the_credentials_step(capsys):
    assert main(["gke-cluster", "--stack", "prod"]) == 0
    assert capsys.readouterr().out.splitlines() == ["project=acme-ml-prod", "location=us-central1", "name=mlops-prod"]
    assert main(["gke-cluster", "--stack", "local"]) == 2
