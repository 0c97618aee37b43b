"""Every workflow job that talks to a cluster can reach its control plane and authenticate to it.

The jobs run on GitHub-hosted runners, whose addresses no masterAuthorizedNetworks list can name, so
every GKE stack reaches its control plane through the IAM-gated DNS-based endpoint (controlPlaneAccess:
dns), and every such job installs gke-gcloud-auth-plugin, which the program's kubeconfig runs as its
exec credential (components/cluster/kubeconfig.py)."""

from __future__ import annotations

import ipaddress
import re

import pytest
import yaml

from components.cluster.kubeconfig import AUTH_PLUGIN
from ops.offline.stack_settings import offline_settings
from ops.stack_config import stack_names
from tests.conftest import PROJECT_DIR
from tests.test_workflows import WORKFLOWS

# The commands that run the program against a stack's cluster (preview-offline and snapshot do not).
CLUSTER_COMMAND = re.compile(r"python -m ops (preview|up|refresh|promote|rollback)(\s|$)")
SETUP_GCLOUD = "google-github-actions/setup-gcloud@"
# RFC 5737: addresses for documentation, never routed; an authorized network there admits nobody.
DOCUMENTATION_RANGES = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]


def cluster_jobs() -> list[tuple[str, str, dict]]:
    found = []
    for workflow in WORKFLOWS:
        for name, job in yaml.safe_load(workflow.read_text())["jobs"].items():
            if any(CLUSTER_COMMAND.search(step.get("run", "")) for step in job.get("steps", [])):
                found.append((workflow.name, name, job))
    return found


def test_the_cluster_jobs_are_found():
    assert {(w, j) for w, j, _ in cluster_jobs()} >= {
        ("deploy-stack.yml", "up"),
        ("preview.yml", "preview"),
        ("drift.yml", "drift"),
        ("operate.yml", "operate"),
    }


@pytest.mark.parametrize("where", cluster_jobs(), ids=lambda w: f"{w[0]}:{w[1]}")
def test_every_cluster_job_installs_the_auth_plugin_after_authenticating(where):
    workflow, name, job = where
    steps = job["steps"]
    auth = [i for i, s in enumerate(steps) if "google-github-actions/auth@" in s.get("uses", "")]
    plugin = [
        i
        for i, s in enumerate(steps)
        if SETUP_GCLOUD in s.get("uses", "") and AUTH_PLUGIN in str((s.get("with") or {}).get("install_components"))
    ]
    commands = [i for i, s in enumerate(steps) if CLUSTER_COMMAND.search(s.get("run", ""))]
    assert plugin, f"{workflow}:{name} runs the program against a cluster without {AUTH_PLUGIN}"
    assert auth and auth[0] < plugin[0] < commands[0], f"{workflow}:{name}: authenticate, install, then run"
    # Skipped exactly when the command is (fork previews run neither).
    assert steps[plugin[0]].get("if") == steps[commands[0]].get("if") == steps[auth[0]].get("if")


def test_hosted_runners_reach_every_gke_stack_through_its_dns_endpoint():
    hosted = [(w, j) for w, j, job in cluster_jobs() if str(job["runs-on"]).startswith("ubuntu-")]
    assert hosted, "no job runs on a GitHub-hosted runner: then check the self-hosted runners' network instead"
    checked = 0
    for stack in stack_names(PROJECT_DIR):
        cluster = offline_settings(PROJECT_DIR, stack).cluster
        if cluster.mode == "kubeconfig":
            continue
        checked += 1
        assert cluster.control_plane_access == "dns", (
            f"Pulumi.{stack}.yaml: {hosted} run on GitHub-hosted runners, which only the DNS-based endpoint admits"
        )
        for network in cluster.master_authorized_networks:
            block = ipaddress.ip_network(network.cidr_block)
            assert not any(block.subnet_of(d) for d in DOCUMENTATION_RANGES), (
                f"Pulumi.{stack}.yaml: {network.cidr_block} is a documentation range: it admits nobody"
            )
    assert checked >= 3
