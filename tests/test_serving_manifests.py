"""The pure builders of a model's Kubernetes objects, tested directly."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from catalogue.loader import load_catalogue
from facts.runtimes import MLSERVER, MODEL_DIR
from manifests.delivery.autoscaling import hpa_manifest
from manifests.network_policies import network_policy_manifests
from manifests.serving import (
    deployment_manifest,
    namespace_manifest,
    pdb_manifest,
    registry_secret_manifest,
    service_account_manifest,
    service_manifest,
)
from plan.quality_signals import quality_signals
from plan.registry_credentials import PodCredentials
from plan.serving_plan import Placement, Scaling, ServingPlan
from tests.schemas import validate

CATALOGUE = load_catalogue(Path(__file__).resolve().parent.parent / "models")
FRAUD = next(m for m in CATALOGUE.models if m.name == "fraud-detection")


def make_plan(**changes) -> ServingPlan:
    """A prod plan of fraud-detection; the scaling and quality series follow a changed model or environment,
    as plan/serving.py decides them."""
    model, environment = changes.get("model", FRAUD), changes.get("environment", "prod")
    low, high = model.replica_bounds(environment)
    plan = ServingPlan(
        model=model,
        environment=environment,
        namespace="ml-fraud-detection",
        runtime=MLSERVER,
        tracking_uri="http://mlflow.mlflow.svc:5000",
        kubernetes_minor=33,
        monitoring_namespace="monitoring",
        traffic_namespaces=("gateway",),
        traffic_source_cidrs=("35.191.0.0/16",),
        scaling=Scaling(min_replicas=low, max_replicas=high),
        quality_series=quality_signals(model),
        registry_credentials=PodCredentials("program-token"),
    )
    return replace(plan, **changes)


def all_objects(plan: ServingPlan, version: str = "7") -> list[dict]:
    return [
        namespace_manifest(plan),
        service_account_manifest(plan),
        registry_secret_manifest(plan, {"MLFLOW_TRACKING_TOKEN": "t0ken"}),
        deployment_manifest(plan, version),
        service_manifest(plan),
        hpa_manifest(plan),
        pdb_manifest(plan),
        *network_policy_manifests(plan),
    ]


@pytest.mark.parametrize("minor", [26, 29, 33, 37])
def test_every_object_is_strictly_valid_at_the_declared_kubernetes_version(minor):
    for manifest in all_objects(make_plan(kubernetes_minor=minor)):
        validate(manifest, f"1.{minor}")


def test_deployment_leaves_replicas_to_the_hpa():
    assert "replicas" not in deployment_manifest(make_plan(), "7")["spec"]


def test_new_version_rolls_pods_but_keeps_the_immutable_selector():
    v7, v8 = deployment_manifest(make_plan(), "7"), deployment_manifest(make_plan(), "8")
    assert v7["spec"]["selector"] == v8["spec"]["selector"]
    assert "mlops.platform/model-version" not in v7["spec"]["selector"]["matchLabels"]
    assert v7["spec"]["template"]["metadata"]["labels"]["mlops.platform/model-version"] == "7"
    assert v8["spec"]["template"]["metadata"]["labels"]["mlops.platform/model-version"] == "8"
    assert v8["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/version"] == "8"


def test_labels_name_model_version_environment_and_team():
    labels = deployment_manifest(make_plan(), "7")["spec"]["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == "fraud-detection"
    assert labels["app.kubernetes.io/part-of"] == "mlops-platform"
    assert labels["mlops.platform/environment"] == "prod"
    assert labels["mlops.platform/team"] == "payments-risk"
    assert labels["data-classification"] == "pci"  # the entry's own labels come along


def test_every_container_is_locked_down():
    pod = deployment_manifest(make_plan(), "7")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    for container in pod["initContainers"] + pod["containers"]:
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["readOnlyRootFilesystem"] is True
        assert context["runAsNonRoot"] is True
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert "limits" in container["resources"] and "requests" in container["resources"]


def test_model_is_downloaded_by_exact_version_and_served_from_local_disk():
    pod = deployment_manifest(make_plan(), "7")["spec"]["template"]["spec"]
    (download,) = pod["initContainers"]
    command = download["command"]
    assert command[:3] == ["mlflow", "artifacts", "download"]
    assert command[command.index("--artifact-uri") + 1] == "models:/fraud-detection/7"
    assert command[command.index("--dst-path") + 1] == MODEL_DIR
    env = {e["name"]: e for e in download["env"]}
    assert env["MLFLOW_TRACKING_URI"]["value"] == "http://mlflow.mlflow.svc:5000"
    assert env["MLFLOW_TRACKING_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "mlflow-registry-credentials"
    (server,) = pod["containers"]
    server_env = {e["name"]: e.get("value") for e in server["env"]}
    assert server_env["MLSERVER_MODEL_URI"] == MODEL_DIR
    assert server_env["MLSERVER_MODEL_VERSION"] == "7"
    assert server_env["DECISION_THRESHOLD"] == "0.7"
    assert not {"MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_PASSWORD"} & set(server_env)  # nor does the server
    mounts = {m["mountPath"]: m for m in server["volumeMounts"]}
    assert mounts["/mnt/models"]["readOnly"] is True


def test_without_credentials_no_secret_is_referenced():
    pod = deployment_manifest(make_plan(registry_credentials=None), "7")["spec"]["template"]["spec"]
    assert [e["name"] for e in pod["initContainers"][0]["env"]] == ["MLFLOW_TRACKING_URI", "HOME"]


def test_a_basic_auth_user_reaches_the_downloader_as_mlflows_own_variables():
    plan = make_plan(registry_credentials=PodCredentials("reader"))
    values = {"MLFLOW_TRACKING_USERNAME": "model-reader", "MLFLOW_TRACKING_PASSWORD": "pw-123456789012"}
    secret = registry_secret_manifest(plan, values)
    validate(secret, "1.33")
    assert secret["metadata"]["name"] == "mlflow-registry-credentials"
    assert secret["stringData"] == values
    (download,) = deployment_manifest(plan, "7")["spec"]["template"]["spec"]["initContainers"]
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in download["env"] if "valueFrom" in e}
    assert refs == {key: {"name": "mlflow-registry-credentials", "key": key} for key in values}


def test_the_secret_refuses_values_other_than_the_keys_its_pods_read():
    reader = make_plan(registry_credentials=PodCredentials("reader"))
    with pytest.raises(ValueError, match="expected"):
        registry_secret_manifest(reader, {"MLFLOW_TRACKING_TOKEN": "t0ken"})
    with pytest.raises(ValueError, match="sign in with none"):
        registry_secret_manifest(make_plan(registry_credentials=None), {"MLFLOW_TRACKING_TOKEN": "t0ken"})


def test_probes_and_resources_follow_runtime_and_catalogue():
    (server,) = deployment_manifest(make_plan(), "7")["spec"]["template"]["spec"]["containers"]
    assert server["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": "http"}
    assert server["startupProbe"]["failureThreshold"] * server["startupProbe"]["periodSeconds"] == 300
    assert server["resources"] == {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}


def test_gpu_placement_reaches_the_pod():
    placement = Placement(
        node_selector={"cloud.google.com/gke-accelerator": "nvidia-l4"},
        tolerations=({"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"},),
        extra_limits={"nvidia.com/gpu": "1"},
    )
    pod = deployment_manifest(make_plan(placement=placement), "7")["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"cloud.google.com/gke-accelerator": "nvidia-l4"}
    assert pod["tolerations"][0]["key"] == "nvidia.com/gpu"
    assert pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"


def test_hpa_uses_the_environment_bounds_and_both_resources():
    spec = hpa_manifest(make_plan())["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"]) == (4, 30)
    targets = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in spec["metrics"]}
    assert targets == {"cpu": 60, "memory": 75}
    dev = hpa_manifest(make_plan(environment="dev"))["spec"]
    assert (dev["minReplicas"], dev["maxReplicas"]) == (1, 3)


def test_pdb_never_blocks_a_drain_and_uses_eviction_policy_only_where_it_exists():
    assert pdb_manifest(make_plan())["spec"]["maxUnavailable"] == 1
    assert pdb_manifest(make_plan())["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
    assert "unhealthyPodEvictionPolicy" not in pdb_manifest(make_plan(kubernetes_minor=26))["spec"]


def test_network_policies_deny_by_default_and_allow_only_traffic_and_monitoring():
    deny, metrics, traffic = network_policy_manifests(make_plan())
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    (rule,) = metrics["spec"]["ingress"]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8082}]
    (rule,) = traffic["spec"]["ingress"]
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateway"}}} in rule["from"]
    assert {"ipBlock": {"cidr": "35.191.0.0/16"}} in rule["from"]
    assert sorted(p["port"] for p in rule["ports"]) == [8080, 8081]


def test_no_traffic_sources_means_no_allow_rule_at_all():
    policies = network_policy_manifests(make_plan(traffic_namespaces=(), traffic_source_cidrs=()))
    assert [p["metadata"]["name"] for p in policies] == ["default-deny-ingress", "allow-metrics-scrape"]


def test_namespace_enforces_pod_security():
    labels = namespace_manifest(make_plan())["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_service_exposes_named_ports_on_stable_selector():
    spec = service_manifest(make_plan())["spec"]
    assert spec["selector"] == {
        "app.kubernetes.io/name": "fraud-detection",
        "app.kubernetes.io/instance": "fraud-detection-prod",
    }
    assert [p["name"] for p in spec["ports"]] == ["http", "grpc", "http-metrics"]
