"""Stack settings that would leak, mislead or never be checked: credentials or browser URLs as the
tracking URI, a Kubernetes version without a schema, and the registry deadline's derived default."""

from __future__ import annotations

import kubernetes_validate.utils
import pytest

from facts.kubernetes_versions import SCHEMA_VERSIONS
from settings.stack import PROJECT
from tests.test_stack_settings import LOCAL, problems, read

PASSWORD = "s3cr3t-PASS-91"


@pytest.mark.parametrize("key", ["mlflowTrackingUri", "mlflowServingTrackingUri"])
def test_credentials_in_a_tracking_uri_are_refused_without_repeating_them(tmp_path, key):
    found = problems(tmp_path, "local", {**LOCAL, f"{PROJECT}:{key}": f"https://alice:{PASSWORD}@mlflow.example.com"})
    (problem,) = found
    assert problem.startswith(f"Pulumi.local.yaml: {PROJECT}:{key}: tracking URI https://mlflow.example.com carries")
    assert "pulumi config set --secret mlflowToken" in problem
    assert PASSWORD not in problem and "alice" not in problem


def test_a_url_copied_from_the_browser_is_refused_with_the_base_url(tmp_path):
    (problem,) = problems(
        tmp_path, "local", {**LOCAL, f"{PROJECT}:mlflowTrackingUri": "https://mlflow.acme.io/#/models"}
    )
    assert "looks like a page copied from the browser" in problem
    assert "(fix: use the server's base URL, e.g. https://mlflow.acme.io)" in problem


def test_kubernetes_versions_are_exactly_those_with_schemas():
    shipped = {".".join(v.split(".")[:2]) for v in kubernetes_validate.utils.all_versions()}
    assert set(SCHEMA_VERSIONS) == shipped


def test_a_kubernetes_version_without_a_schema_is_refused(tmp_path):
    (problem,) = problems(tmp_path, "local", {**LOCAL, f"{PROJECT}:kubernetesVersion": "1.99"})
    assert f"{PROJECT}:kubernetesVersion: '1.99' has no schema to validate manifests against" in problem
    assert "1.33" in problem


def test_the_registry_deadline_defaults_to_timeout_times_attempts(tmp_path):
    settings = read(tmp_path, "local", {**LOCAL, f"{PROJECT}:mlflowTimeoutSeconds": 4, f"{PROJECT}:mlflowRetries": 1})
    assert settings.stack.registry_deadline == 8
    configured = read(tmp_path, "local", {**LOCAL, f"{PROJECT}:mlflowDeadlineSeconds": 45}).stack
    assert configured.registry_deadline == 45


def test_integers_have_upper_bounds(tmp_path):
    (problem,) = problems(tmp_path, "local", {**LOCAL, f"{PROJECT}:mlflowDeadlineSeconds": 100000})
    assert "100000 is out of range: it must be at most 3600 (fix: write a value at most 3600)" in problem


def test_node_counts_and_disks_have_upper_bounds(tmp_path):
    cluster = {**LOCAL[f"{PROJECT}:cluster"], "mode": "gke", "project": "p", "location": "us-central1", "name": "c"}
    cluster.pop("context")
    cluster["systemNodePool"] = {"totalMaxNodeCount": 150000, "diskSizeGb": 10**6}
    found = problems(tmp_path, "dev", {f"{PROJECT}:environment": "dev", f"{PROJECT}:cluster": cluster})
    assert any(
        "cluster.systemNodePool.totalMaxNodeCount: 150000 is out of range: it must be at most 15000" in p for p in found
    )
    assert any(
        "cluster.systemNodePool.diskSizeGb: 1000000 is out of range: it must be at most 65536" in p for p in found
    )
