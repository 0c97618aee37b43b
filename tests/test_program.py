"""The whole __main__.py under Pulumi's mocks, for every stack file in the repository, against a real
MLflow registry: what it registers, in which order, and that every object is strictly valid."""

from __future__ import annotations

import json
import re
import shutil

import pytest
import requests

from catalogue.loader import load_catalogue
from core.problems import ConfigError
from ops.offline.engine import run_program
from ops.offline.program_run import ProgramError
from ops.offline.wire_values import unwrap
from ops.stack_config import load_stack_config
from tests.conftest import PROJECT_DIR, STACKS, registry_overrides
from tests.schemas import validate

MODEL_VERSION = "pulumi-python:dynamic:Resource"
CPU_MODELS = ["churn-prediction", "churn-prediction-baseline", "fraud-detection"]  # the baseline: churn's fallback
GPU_MODELS = ["image-classifier", "support-assistant"]  # they do not declare `local`: it has no GPU nodes
CATALOGUE_SELECTORS = {
    m.name: {env: sel.selector() for env, sel in m.environments.items()}
    for m in load_catalogue(PROJECT_DIR / "models").models
}
SERVED = {
    "local": CPU_MODELS,
    "dev": CPU_MODELS + GPU_MODELS,
    "staging": CPU_MODELS + GPU_MODELS,
    "prod": CPU_MODELS + GPU_MODELS,
}


def test_all_four_stacks_are_exercised():
    assert STACKS == ["dev", "local", "prod", "staging"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_object_is_strictly_valid_against_its_schema(stack_runs, stack):
    run = stack_runs[stack]
    version = load_stack_config(PROJECT_DIR, stack).values["mlops-platform:kubernetesVersion"]
    objects = run.kubernetes_objects()
    assert len(objects) >= 9 * len(SERVED[stack]), "nine objects per model at least"
    for resource in objects:
        validate(unwrap(resource.inputs), version)  # SchemaMissing for a kind no vendored schema covers


def _alias_version(uri: str, model: str, alias: str) -> str:
    answer = requests.get(
        f"{uri}/api/2.0/mlflow/registered-models/alias", params={"name": model, "alias": alias}, timeout=10
    )
    answer.raise_for_status()
    return answer.json()["model_version"]["version"]


@pytest.mark.parametrize("stack", STACKS)
def test_each_model_serves_the_version_its_selector_resolves_to(stack_runs, mlflow_server, stack):
    run = stack_runs[stack]
    deployments = {
        d.inputs["metadata"]["name"]: d
        for d in run.kubernetes_objects()
        if d.inputs["kind"] == "Deployment"
        and d.inputs["metadata"]["labels"].get("app.kubernetes.io/component") == "model-server"
    }
    assert sorted(deployments) == SERVED[stack]
    for name, deployment in deployments.items():
        # the catalogue's alias for this environment (dev tries challengers; the baseline has only a champion)
        (expected_alias,) = [v for k, v in CATALOGUE_SELECTORS[name][stack].items() if k == "alias"]
        registry_version = _alias_version(mlflow_server.uri, name, expected_alias)
        labels = deployment.inputs["spec"]["template"]["metadata"]["labels"]
        assert labels["mlops.platform/model-version"] == registry_version
        assert run.outputs["models"][name]["version"] == registry_version


@pytest.mark.parametrize("stack", STACKS)
def test_cluster_and_serving_wait_for_every_model_version(stack_runs, stack):
    """Through one barrier that depends on every ModelVersion: edges linear in the catalogue."""
    run = stack_runs[stack]
    dynamic = run.by_type(MODEL_VERSION)
    (barrier,) = [r for r in dynamic if r.name == "model-versions-resolved"]
    versions = {r.urn for r in dynamic if r is not barrier}
    assert len(versions) == len(SERVED[stack])
    assert set(barrier.options["dependencies"]) == versions
    waiting = run.by_type("mlops:serving:ModelServing") + run.by_type("mlops:infra:ClusterAccess")
    waiting += run.by_type("mlops:infra:GcpPlatform")
    for component in waiting:
        dependencies = set(component.options["dependencies"])
        assert barrier.urn in dependencies, component.name
        # Never one edge per version: the barrier, plus at most the component's own model version.
        assert len(dependencies & versions) <= 1, component.name
    servings = {r.urn for r in run.by_type("mlops:serving:ModelServing")}
    parent_of = {r.urn: r.parent for r in run.resources}
    for delivery in run.by_type("mlops:delivery:ModelDelivery"):
        # A dependency on a component arrives as its children: count the serving stacks they belong to.
        waited = {parent_of.get(d) for d in delivery.options["dependencies"]} & servings
        # Its own serving stack and at most its fallback's: never every model's.
        assert 1 <= len(waited) <= 2, delivery.name


@pytest.mark.parametrize("stack", STACKS)
def test_every_kubernetes_object_goes_through_the_stack_cluster_provider(stack_runs, stack):
    """...or, in gitops mode, through a provider that renders it for Argo CD (tests/test_gitops_program.py)."""
    run = stack_runs[stack]
    (provider,) = [p for p in run.by_type("pulumi:providers:kubernetes") if "renderYamlToDirectory" not in p.inputs]
    for resource in run.kubernetes_objects():
        if run.render_directory(resource) is None:
            assert resource.options["provider"].startswith(provider.urn + "::"), resource.name


def test_local_stack_needs_no_cloud(stack_runs):
    run = stack_runs["local"]
    assert not [r for r in run.resources if r.type.startswith("gcp:")]
    (provider,) = run.by_type("pulumi:providers:kubernetes")
    assert provider.inputs["context"] == "kind-mlops"


def test_prod_protects_the_cluster_and_its_pools_and_dev_does_not(stack_runs):
    prod, dev = stack_runs["prod"], stack_runs["dev"]
    protected = [
        r for r in prod.resources if r.type in ("gcp:container/cluster:Cluster", "gcp:container/nodePool:NodePool")
    ]
    assert len(protected) == 1 + 1 + 2 + 1  # cluster, system pool, l4 and a100 pools, the spot batch pool
    assert all(r.options["protect"] for r in protected)
    assert prod.by_type("gcp:container/cluster:Cluster")[0].inputs["deletionProtection"] is True
    assert not any(r.options["protect"] for r in dev.resources)


def test_gke_provider_is_built_from_the_cluster_outputs(stack_runs):
    run = stack_runs["dev"]
    (provider,) = run.by_type("pulumi:providers:kubernetes")
    kubeconfig = provider.inputs["kubeconfig"]
    assert "gke-gcloud-auth-plugin" in kubeconfig
    assert "mlops-dev" in kubeconfig


def test_dev_gpu_pools_are_registered_as_configured(stack_runs):
    pools = {r.inputs["name"]: r.inputs for r in stack_runs["dev"].by_type("gcp:container/nodePool:NodePool")}
    spot = pools["l4-spot"]
    assert spot["nodeConfig"]["spot"] is True
    accelerator = spot["nodeConfig"]["guestAccelerators"][0]
    assert (accelerator["type"], accelerator["count"]) == ("nvidia-l4", 1)
    assert accelerator["gpuDriverInstallationConfig"]["gpuDriverVersion"] == "LATEST"
    taints = {(t["key"], t["value"], t["effect"]) for t in spot["nodeConfig"]["taints"]}
    assert ("nvidia.com/gpu", "present", "NO_SCHEDULE") in taints


def test_unreachable_registry_stops_the_run_before_any_cluster_or_kubernetes_change(monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)  # the variable wins over stack config
    closed_port = "http://127.0.0.1:9"  # discard port: nothing listens there
    overrides = registry_overrides(closed_port) | {
        "mlops-platform:mlflowRetries": "0",
        "mlops-platform:mlflowTimeoutSeconds": "2",
    }
    with pytest.raises(ProgramError) as caught:
        run_program(PROJECT_DIR, load_stack_config(PROJECT_DIR, "dev", overrides=overrides))
    message = str(caught.value.cause)
    assert "MLflow registry http://127.0.0.1:9" in message
    # The first model the engine checks fails the run; which one that is depends on registration order.
    assert re.search(r"[a-z-]+ \(dev\): cannot resolve selector \{'alias': '(champion|challenger)'\}", message)
    registered = {r.type for r in caught.value.resources}
    assert not [t for t in registered if t.startswith(("kubernetes:", "gcp:"))], registered


def test_broken_catalogue_registers_nothing(tmp_path, mlflow_server):
    project = tmp_path / "project"
    shutil.copytree(
        PROJECT_DIR, project, ignore=shutil.ignore_patterns(".venv", ".git", "rendered", ".demo", "__pycache__")
    )
    entry = project / "models" / "fraud-detection.yaml"
    entry.write_text(entry.read_text().replace("memory: 2Gi}", "memory: 2GB}"))
    with pytest.raises(ProgramError) as caught:
        run_program(project, load_stack_config(project, "local", overrides=registry_overrides(mlflow_server.uri)))
    assert isinstance(caught.value.cause, ConfigError)
    assert "models/fraud-detection.yaml: resources.requests.memory: '2GB' is not a Kubernetes quantity" in str(
        caught.value.cause
    )
    assert caught.value.resources == []


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_each_model_service_account_is_bound_to_its_own_gcp_identity(stack_runs, stack):
    run = stack_runs[stack]
    project = json.loads(load_stack_config(PROJECT_DIR, stack).values["mlops-platform:cluster"])["project"]
    emails = {r.outputs["email"]: r for r in run.by_type("gcp:serviceaccount/account:Account")}
    bindings = [r.inputs for r in run.by_type("gcp:serviceaccount/iAMMember:IAMMember")]
    service_accounts = [
        r
        for r in run.kubernetes_objects()
        if r.inputs["kind"] == "ServiceAccount"
        and r.inputs["metadata"]["labels"].get("app.kubernetes.io/component") == "model-server"
    ]
    assert len(service_accounts) == len(run.outputs["models"])  # one per served model
    for ksa in service_accounts:
        namespace, name = ksa.inputs["metadata"]["namespace"], ksa.inputs["metadata"]["name"]
        email = ksa.inputs["metadata"]["annotations"]["iam.gke.io/gcp-service-account"]
        assert email in emails and email.endswith(f"@{project}.iam.gserviceaccount.com")
        member = f"serviceAccount:{project}.svc.id.goog[{namespace}/{name}]"
        matching = [b for b in bindings if b["member"] == member]
        assert len(matching) == 1 and matching[0]["role"] == "roles/iam.workloadIdentityUser"
        assert matching[0]["serviceAccountId"] == emails[email].outputs["name"]  # bound on the annotated account
    assert not run.by_type("gcp:serviceaccount/key:Key"), "no service account keys, ever"


@pytest.mark.parametrize(
    "stack, mode",
    [("dev", "DRYRUN_AUDIT_LOG_ONLY"), ("staging", "DRYRUN_AUDIT_LOG_ONLY"), ("prod", "ENFORCED_BLOCK_AND_AUDIT_LOG")],
)
def test_binary_authorization_enforces_the_scan_attestation_in_prod_only(stack_runs, stack, mode):
    (policy,) = stack_runs[stack].by_type("gcp:binaryauthorization/policy:Policy")
    rule = policy.inputs["defaultAdmissionRule"]
    assert rule["enforcementMode"] == mode
    assert rule["evaluationMode"] == "REQUIRE_ATTESTATION"
    assert rule["requireAttestationsBies"][0].endswith("/attestors/vulnerability-scan-passed")


def test_preview_calls_out_a_gpu_pool_replacement_loudly(stack_runs, mlflow_server):
    """The stack reads its own last deployment; a driver-version change replaces a pool, so it is named."""
    config = load_stack_config(PROJECT_DIR, "prod", overrides=registry_overrides(mlflow_server.uri))
    deployed = [dict(p) for p in stack_runs["prod"].outputs["gpuNodePools"]]
    unchanged = run_program(PROJECT_DIR, config, preview=True, last_outputs={"gpuNodePools": deployed})
    assert not [w for w in unchanged.warnings if "REPLACED" in w]
    deployed[0] = {**deployed[0], "accelerator": {**deployed[0]["accelerator"], "driverVersion": "LATEST"}}
    changed = run_program(PROJECT_DIR, config, preview=True, last_outputs={"gpuNodePools": deployed})
    (warning,) = [w for w in changed.warnings if "REPLACED" in w]
    assert "GPU node pool 'l4' will be REPLACED" in warning
    assert "accelerator.driverVersion: LATEST -> DEFAULT" in warning
    assert "protected in production, so the update will stop" in warning


_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "PREFER_NO_SCHEDULE": "PreferNoSchedule", "NO_EXECUTE": "NoExecute"}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_gpu_pods_fit_the_node_pool_resource_registered_in_the_same_run(stack_runs, stack):
    """Cross-check the two halves as GKE and the scheduler will see them: the NodePool's wire inputs
    (name, accelerator, spot, taints) against the Deployment's nodeSelector, limits and tolerations."""
    run = stack_runs[stack]
    pools = {r.inputs["name"]: r.inputs for r in run.by_type("gcp:container/nodePool:NodePool")}
    gpu_pods = [
        d.inputs["spec"]["template"]["spec"]
        for d in run.kubernetes_objects()
        if d.inputs["kind"] == "Deployment" and "nodeSelector" in d.inputs["spec"]["template"]["spec"]
    ]
    assert len(gpu_pods) == 2
    for pod in gpu_pods:
        selector = pod["nodeSelector"]
        node = pools[selector["cloud.google.com/gke-nodepool"]]["nodeConfig"]
        (accelerator,) = node["guestAccelerators"]
        assert selector["cloud.google.com/gke-accelerator"] == accelerator["type"]
        assert (selector.get("cloud.google.com/gke-spot") == "true") == bool(node.get("spot"))
        assert int(pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"]) <= accelerator["count"]
        tolerated = {(t["key"], t.get("value"), t["effect"]) for t in pod["tolerations"]}
        for taint in node["taints"]:
            assert (taint["key"], taint["value"], _EFFECTS[taint["effect"]]) in tolerated, taint


@pytest.mark.parametrize("stack", STACKS)
def test_integers_are_written_as_integers(stack_runs, stack):
    """Pulumi's wire format turns 8080 into 8080.0; the recorded objects (and so the render) must not."""

    def floats(value, path=""):
        if isinstance(value, float) and value.is_integer():
            yield path
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from floats(item, f"{path}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from floats(item, f"{path}[{i}]")

    for resource in stack_runs[stack].kubernetes_objects():
        assert list(floats(resource.inputs)) == [], resource.name
    deployments = [r.inputs for r in stack_runs[stack].kubernetes_objects() if r.inputs["kind"] == "Deployment"]
    ports = [
        p["containerPort"]
        for d in deployments
        for c in d["spec"]["template"]["spec"]["containers"]
        for p in c.get("ports", [])
    ]
    assert ports and all(type(port) is int for port in ports)
