"""The `addons` stack key: per-environment defaults, overrides, cross-key checks with one clear message
each, and the PlatformRefs derived from it (the contract per-model delivery objects read)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from catalogue.loader import load_catalogue
from core.spec import problems_from_validation_error
from facts import charts
from plan.platform import GatewayRef, platform_refs, platform_summary
from plan.serving import serving_plan
from settings.stack import StackSettings
from tests.addon_settings import stack_settings
from tests.conftest import PROJECT_DIR


def _problems(stack: str, **overrides) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        stack_settings(stack, **overrides)
    return [str(p) for p in problems_from_validation_error(caught.value, f"Pulumi.{stack}.yaml", StackSettings)]


def test_chart_versions_default_to_the_verified_pins_and_can_be_pinned_per_stack():
    addons = stack_settings("dev").addons
    assert addons.monitoring.version == charts.KUBE_PROMETHEUS_STACK.version
    assert (addons.flagger.version, addons.flagger.loadtester_version) == (
        charts.FLAGGER.version,
        charts.LOADTESTER.version,
    )
    assert addons.keda.version == charts.KEDA.version
    pinned = stack_settings("dev", addons={"keda": {"version": "2.19.0"}}).addons
    assert pinned.keda.version == "2.19.0"
    assert pinned.keda.replicas == addons.keda.replicas  # the rest of the profile is kept


def test_an_override_replaces_one_field_of_the_environment_profile():
    addons = stack_settings("prod", addons={"monitoring": {"retention": "45d"}}).addons
    assert addons.monitoring.retention == "45d"
    assert addons.monitoring.prometheus_replicas == 2
    assert str(addons.monitoring.storage_size) == "100Gi"


def test_traffic_layer_follows_the_cluster_gateway_on_gke_none_on_kind():
    assert stack_settings("local").addons.traffic.layer == "none"
    assert stack_settings("dev").addons.traffic.layer == "gke-gateway"


def test_a_misspelt_addons_key_is_reported_with_a_suggestion():
    (problem,) = _problems("dev", addons={"monitoring": {"retension": "3d"}})
    assert problem.startswith(
        "Pulumi.dev.yaml: addons.monitoring.retension: unknown key (fix: did you mean 'retention'?"
    )


def test_bad_values_name_the_key_and_the_fix():
    problems = _problems("dev", addons={"monitoring": {"retention": "two weeks"}, "flagger": {"version": "latest"}})
    assert (
        "Pulumi.dev.yaml: addons.monitoring.retention: 'two weeks' is not a Prometheus duration (fix: e.g. 30s, 12h or 15d)"
        in problems
    )
    assert (
        "Pulumi.dev.yaml: addons.flagger.version: 'latest' is not a chart version (fix: an exact semantic version such as 1.44.0)"
        in problems
    )


def test_a_gateway_on_a_kubeconfig_cluster_is_refused():
    (problem,) = _problems(
        "local", addons={"traffic": {"layer": "gke-gateway", "hostnameSuffix": "models.example.com"}}
    )
    assert problem.startswith("Pulumi.local.yaml: addons.traffic.layer: the GKE Gateway needs a GKE cluster")


def test_every_cross_key_problem_is_reported_at_once():
    problems = _problems(
        "dev",
        trafficNamespaces=["ingress"],
        addons={
            "monitoring": {"enabled": False},
            "traffic": {
                "tls": {"preSharedCertificates": ["models-cert"]},
                "hostnameSuffix": "",
                "staticIpName": "models-ip",
                "gatewayClass": "gke-l7-rilb",
            },
        },
    )
    fields = sorted(p.split(": ")[1] for p in problems)
    assert fields == [
        "addons.flagger.enabled",
        "addons.keda.enabled",
        "addons.traffic.hostnameSuffix",
        "addons.traffic.namespace",
        "addons.traffic.staticIpName",
        "addons.traffic.tls",
    ]


def test_managed_prometheus_only_for_gpu_metrics_beside_the_stack_prometheus():
    cluster = {**stack_settings("dev").cluster.model_dump(by_alias=True, exclude_unset=True), "managedPrometheus": True}
    (problem,) = _problems("dev", cluster=cluster)
    assert "cluster.managedPrometheus" in problem and "fix: set managedPrometheus: false" in problem
    # prod keeps it on for DCGM GPU metrics, which GKE sends only to Managed Service for Prometheus
    assert stack_settings("prod").cluster.managed_prometheus is True


def test_platform_refs_on_gke():
    refs = platform_refs(stack_settings("dev"))
    assert refs.prometheus_url == "http://kube-prometheus-stack-prometheus.monitoring:9090"
    assert refs.monitor_selector_labels == {"release": "kube-prometheus-stack"}
    assert refs.flagger_provider == "gatewayapi:v1"
    assert refs.gateway == GatewayRef(name="models", namespace="gateway", hostname_suffix="models.dev.ml.example.com")
    assert refs.gateway.url("churn-prediction.models.dev.ml.example.com", "/v2") == (
        "http://churn-prediction.models.dev.ml.example.com/v2"
    )
    prod = platform_refs(stack_settings("prod")).gateway
    assert prod is not None and (prod.protocol, prod.port) == ("HTTPS", 443)
    assert prod.url("m.models.ml.example.com", "/v2") == "https://m.models.ml.example.com/v2"
    assert refs.loadtester_url == "http://flagger-loadtester.gateway/"


def test_platform_refs_on_kind_use_blue_green_without_a_gateway():
    refs = platform_refs(stack_settings("local"))
    assert (refs.flagger_provider, refs.gateway) == ("kubernetes", None)


def test_platform_refs_of_a_stack_without_add_ons():
    off = {"enabled": False}
    settings = stack_settings("local", addons={"monitoring": off, "flagger": off, "keda": off})
    refs = platform_refs(settings)
    assert (refs.prometheus_url, refs.monitor_selector_labels, refs.loadtester_url) == ("", {}, "")
    assert platform_summary(settings, refs)["keda"] is False


def test_each_model_scales_with_keda_exactly_when_the_stack_installs_it():
    """The HPA-or-KEDA decision is made once, in the serving plan, from addons.keda.enabled."""
    churn = next(m for m in load_catalogue(PROJECT_DIR / "models").models if m.name == "churn-prediction")
    on = serving_plan(stack_settings("dev"), churn)
    off = serving_plan(stack_settings("local", addons={"keda": {"enabled": False}}), churn)
    assert (on.scaling.keda, off.scaling.keda) == (True, False)
    # The bounds are the catalogue's for the stack's environment, decided in the same place.
    assert (on.scaling.min_replicas, on.scaling.max_replicas) == (1, 2)  # models/churn-prediction.yaml, dev
    assert (off.scaling.min_replicas, off.scaling.max_replicas) == churn.replica_bounds("local")


def test_platform_summary_says_how_to_reach_grafana_and_prometheus():
    settings = stack_settings("staging")
    summary = platform_summary(settings, platform_refs(settings))
    assert summary["grafana"] == "kubectl -n monitoring port-forward svc/kube-prometheus-stack-grafana 3000:80"
    assert summary["prometheus"] == "kubectl -n monitoring port-forward svc/kube-prometheus-stack-prometheus 9090"
    assert summary["charts"] == {
        "kube-prometheus-stack": charts.KUBE_PROMETHEUS_STACK.version,
        "flagger": charts.FLAGGER.version,
        "loadtester": charts.LOADTESTER.version,
        "keda": charts.KEDA.version,
    }


@pytest.mark.parametrize(
    ("suffix", "why"),
    [
        ("models.", "empty label"),
        (".models.example.com", "empty label"),
        ("models..example.com", "empty label"),
        ("Models.example.com", "not lowercase"),
        ("models_dev.example.com", "not lowercase"),
        ("-models.example.com", "not lowercase"),
        ("models", "single label"),
        ("10.0.0.1", "IP address"),
        (f"{'a' * 64}.example.com", "longer than 63"),
        (".".join(["abcdefghi"] * 22) + ".com", "leaves no room"),
    ],
)
def test_a_hostname_suffix_that_is_not_rfc_1123_is_refused_on_its_key(suffix, why):
    (problem,) = _problems("dev", addons={"traffic": {"hostnameSuffix": suffix}})
    assert problem.startswith("Pulumi.dev.yaml: addons.traffic.hostnameSuffix: ")
    assert why in problem and "fix: e.g. models.dev.example.com" in problem


def test_a_gateway_stack_without_a_hostname_suffix_is_refused():
    (problem,) = _problems("staging", addons={"traffic": {"hostnameSuffix": ""}})
    assert problem.startswith("Pulumi.staging.yaml: addons.traffic.hostnameSuffix: the Gateway serves each model")
    assert "fix: set addons.traffic.hostnameSuffix" in problem
    # without a Gateway there are no hostnames, and a stack needs none
    assert stack_settings("local").addons.traffic.hostname_suffix == ""
