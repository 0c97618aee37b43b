"""The add-ons as the whole program registers them, for every stack under Pulumi's mocks: each chart
pinned with its repository and values, the Gateway where the stack has one, and an order in which no
custom resource can reach the API server before its CRD."""

from __future__ import annotations

import json

import pytest

from facts import charts
from facts.charts import ARGO_CD
from ops.offline.engine import run_program
from ops.offline.program_run import RecordedResource
from ops.offline.render import summary
from ops.offline.wire_values import is_secret, mask, unwrap
from ops.stack_config import StackConfig, load_stack_config
from tests.conftest import PROJECT_DIR, STACKS, registry_overrides
from tests.runs import charts_by_name, cluster_provider

CHART = "kubernetes:helm.sh/v4:Chart"
PINS = {fact.chart: fact for fact in (charts.KUBE_PROMETHEUS_STACK, charts.FLAGGER, charts.LOADTESTER, charts.KEDA)}
# Which chart installs each CRD group (GKE itself installs the Gateway API's: the cluster's gatewayApiConfig).
CRD_INSTALLERS = {
    "monitoring.coreos.com": "kube-prometheus-stack",
    "flagger.app": "flagger",
    "keda.sh": "keda",
    "argoproj.io": "argo-cd",  # installed by the gitops component, not the add-ons (off the local stack)
}
GKE_OWNED_GROUPS = {"gateway.networking.k8s.io", "networking.gke.io"}


def _charts(run) -> dict[str, RecordedResource]:
    found: dict[str, RecordedResource] = {}
    for resource in run.by_type(CHART):
        chart = resource.inputs["chart"]
        if chart in PINS:
            assert chart not in found, f"{chart} installed twice"
            found[chart] = resource
    return found


def _waits_for(run, resource: RecordedResource) -> set[str]:
    """URNs a resource cannot be registered before: its own dependencies and its ancestors' (a child
    registers only once its parent's URN is known, which waits for the parent's dependencies)."""
    by_urn = {r.urn: r for r in run.resources}
    urns: set[str] = set()
    current: RecordedResource | None = resource
    while current is not None:
        urns |= set(current.options.get("dependencies", []))
        current = by_urn.get(current.parent)
    return urns


@pytest.mark.parametrize("stack", STACKS)
def test_each_chart_is_pinned_with_its_repository_and_values(stack_runs, stack):
    installed = _charts(stack_runs[stack])
    assert sorted(installed) == sorted(PINS)
    for chart, resource in installed.items():
        fact = PINS[chart]
        assert resource.inputs["version"] == fact.version
        assert resource.inputs["repositoryOpts"] == {"repo": fact.repository}
        assert resource.inputs["values"], chart
    values = {chart: unwrap(r.inputs["values"]) for chart, r in installed.items()}
    assert values["flagger"]["metricsServer"] == "http://kube-prometheus-stack-prometheus.monitoring:9090"
    assert values["kube-prometheus-stack"]["prometheusOperator"]["admissionWebhooks"]["enabled"] is False
    namespaces = {chart: r.inputs["namespace"] for chart, r in installed.items()}
    assert namespaces == {
        "kube-prometheus-stack": "monitoring",
        "flagger": "flagger-system",
        "loadtester": "gateway",
        "keda": "keda",
    }


@pytest.mark.parametrize("stack", STACKS)
def test_charts_with_monitoring_objects_wait_for_the_monitoring_crds(stack_runs, stack):
    run = stack_runs[stack]
    installed = _charts(run)
    monitoring = installed["kube-prometheus-stack"].urn
    # Flagger's chart renders a PodMonitor and KEDA's a ServiceMonitor (monitoring.coreos.com/v1).
    assert unwrap(installed["flagger"].inputs["values"])["podMonitor"]["enabled"] is True
    assert unwrap(installed["keda"].inputs["values"])["prometheus"]["operator"]["serviceMonitor"]["enabled"] is True
    for chart in ("flagger", "keda"):
        assert monitoring in _waits_for(run, installed[chart]), chart
    assert monitoring not in _waits_for(run, installed["kube-prometheus-stack"])


@pytest.mark.parametrize("stack", STACKS)
def test_no_custom_resource_can_be_applied_before_its_crd(stack_runs, stack):
    """Every custom resource the program emits, whoever emits it, waits for the one chart installing its group."""
    run = stack_runs[stack]
    charts = charts_by_name(run)
    installers = {group: charts[chart].urn for group, chart in CRD_INSTALLERS.items() if chart in charts}
    checked = 0
    for resource in run.kubernetes_objects():
        group = resource.inputs["apiVersion"].rpartition("/")[0]
        if group in installers:
            assert installers[group] in _waits_for(run, resource), resource.name
            checked += 1
        elif group not in GKE_OWNED_GROUPS:
            assert "." not in group or group.endswith(".k8s.io"), f"{resource.name}: no known installer of {group}"
    # Model stacks wait for every installer, so what a model adds (canaries, monitors, scalers) is covered.
    add_on_installers = {charts[chart].urn for chart in PINS}
    for serving in run.by_type("mlops:serving:ModelServing"):
        assert add_on_installers <= _waits_for(run, serving), serving.name
    print(f"{stack}: {checked} custom resources checked against their CRD installer")


@pytest.mark.parametrize("stack, has_gateway", [("local", False), ("dev", True), ("staging", True), ("prod", True)])
def test_gke_stacks_get_a_weighted_gateway_and_kind_gets_blue_green(stack_runs, stack, has_gateway):
    run = stack_runs[stack]
    gateways = [r for r in run.kubernetes_objects() if r.inputs["kind"] == "Gateway"]
    flagger = unwrap(_charts(run)["flagger"].inputs["values"])
    if not has_gateway:
        assert gateways == [] and flagger["meshProvider"] == "kubernetes"
        return
    (gateway,) = gateways
    assert gateway.inputs["spec"]["gatewayClassName"] == "gke-l7-global-external-managed"
    assert flagger["meshProvider"] == "gatewayapi:v1"
    outputs = run.outputs["platform"]
    assert outputs["gateway"] == f"{gateway.inputs['metadata']['namespace']}/{gateway.inputs['metadata']['name']}"


@pytest.mark.parametrize("stack", STACKS)
def test_add_ons_use_the_stack_cluster_and_wait_for_the_model_versions(stack_runs, stack):
    run = stack_runs[stack]
    (addons,) = run.by_type("mlops:addons:PlatformAddons")
    (barrier,) = [r for r in run.by_type("pulumi-python:dynamic:Resource") if r.name == "model-versions-resolved"]
    assert barrier.urn in addons.options["dependencies"]  # the barrier waits for every ModelVersion
    provider = cluster_provider(run)
    objects = [r for r in run.kubernetes_objects() if "mlops:addons:" in r.urn]
    assert len(objects) >= 4  # a namespace per add-on at least
    for resource in objects:
        assert resource.options["provider"].startswith(provider.urn + "::"), resource.name


def test_without_a_grafana_password_the_run_warns_and_creates_no_secret(stack_runs):
    run = stack_runs["dev"]
    assert any("grafanaAdminPassword is not set" in w for w in run.warnings)
    assert not [r for r in run.kubernetes_objects() if r.inputs["kind"] == "Secret" and "grafana" in r.name]


def test_grafana_password_reaches_the_cluster_only_as_a_secret(mlflow_server, tmp_path):
    password = "correct-horse-battery-staple"
    base = load_stack_config(PROJECT_DIR, "local", overrides=registry_overrides(mlflow_server.uri))
    key = "mlops-platform:grafanaAdminPassword"
    config = StackConfig(stack="local", values={**base.values, key: password}, secret_keys=(*base.secret_keys, key))
    run = run_program(PROJECT_DIR, config)
    (secret,) = [
        r for r in run.kubernetes_objects() if r.inputs["kind"] == "Secret" and r.name.endswith("grafana-admin")
    ]
    data = secret.inputs["stringData"]
    assert is_secret(data) or is_secret(data["admin-password"])  # Pulumi may mark the whole map secret
    assert unwrap(data)["admin-password"] == password
    values = unwrap(_charts(run)["kube-prometheus-stack"].inputs["values"])
    assert values["grafana"]["admin"]["existingSecret"] == secret.inputs["metadata"]["name"]
    everything = json.dumps([mask(r.inputs) for r in run.resources], default=str) + json.dumps(mask(run.outputs))
    assert password not in everything


def test_the_render_summary_lists_each_add_on(stack_runs, tmp_path):
    from ops.offline.render import RenderResult

    text = summary(RenderResult(run=stack_runs["prod"], out_dir=tmp_path, files=[]))
    for fact in PINS.values():
        (line,) = [line for line in text.splitlines() if line.split()[:2] == [fact.chart, fact.version]]
        assert line.split()[2] in ("monitoring", "flagger-system", "gateway", "keda")


def test_the_render_plan_lists_each_add_on_with_its_values(stack_runs):
    from ops.offline.render import addon_entries

    entries = {e["chart"]: e for e in addon_entries(stack_runs["dev"])}
    assert sorted(entries) == sorted([*PINS, ARGO_CD.chart])  # dev also installs Argo CD (the gitops component)
    for chart, entry in entries.items():
        if chart == ARGO_CD.chart:
            assert (entry["version"], entry["repository"]) == (ARGO_CD.version, ARGO_CD.repository)
            continue
        assert (entry["version"], entry["repository"]) == (PINS[chart].version, PINS[chart].repository)
    assert entries["kube-prometheus-stack"]["values"]["prometheus"]["prometheusSpec"]["retention"] == "7d"
    json.dumps(entries)  # plain data, ready for plan.json


def test_prod_gateway_terminates_tls_on_its_reserved_global_address(stack_runs):
    run = stack_runs["prod"]
    (address,) = run.by_type("gcp:compute/globalAddress:GlobalAddress")
    assert (address.inputs["name"], address.inputs["project"]) == ("mlops-prod-models", "acme-ml-prod")
    (gateway,) = [r for r in run.kubernetes_objects() if r.inputs["kind"] == "Gateway"]
    assert gateway.inputs["spec"]["addresses"] == [{"type": "NamedAddress", "value": "mlops-prod-models"}]
    (listener,) = gateway.inputs["spec"]["listeners"]
    assert (listener["protocol"], listener["hostname"]) == ("HTTPS", "*.models.ml.example.com")
    assert address.urn in _waits_for(run, gateway)
    assert not stack_runs["dev"].by_type("gcp:compute/globalAddress:GlobalAddress")
