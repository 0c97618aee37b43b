"""The add-ons' Helm values against the charts' own default values (tests/data/charts/, the chart
authors' files at the pinned versions, kept unchanged): every key path we set must exist there, except
inside maps the chart documents as free-form. Plus the choices each builder must keep."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from facts import charts
from manifests.addons.flagger import flagger_values, loadtester_values
from manifests.addons.keda import keda_values
from manifests.addons.kube_prometheus_stack import kube_prometheus_stack_values
from plan.platform import platform_refs
from tests.addon_settings import stack_settings
from tests.conftest import STACKS
from tools.vendor_test_data import load_sources, sha256

CHARTS_DIR = Path(__file__).parent / "data" / "charts"

# Maps whose keys the chart leaves to the user: each is `{}` in values.yaml, documented there as a
# Kubernetes object (resources, a volumeClaimTemplate) or as labels to add.
FREE_FORM = {
    "kube-prometheus-stack": {
        "prometheusOperator.resources",
        "prometheus.prometheusSpec.resources",
        "prometheus.prometheusSpec.storageSpec",  # "storageSpec: volumeClaimTemplate: ..." (values.yaml)
        "alertmanager.alertmanagerSpec.resources",
    },
    "flagger": {"resources", "podMonitor.additionalLabels"},
    "loadtester": {"resources"},
    "keda": {
        "resources.operator",
        "resources.metricServer",
        "resources.webhooks",
        "podDisruptionBudget.operator",  # "minAvailable: 1 / maxUnavailable: 1" in the chart's comments
        "prometheus.operator.serviceMonitor.additionalLabels",
    },
}


@cache
def default_values(fact: charts.ChartFact) -> dict:
    return yaml.safe_load((CHARTS_DIR / f"{fact.chart}-{fact.version}-values.yaml").read_text())


def unknown_keys(values: Any, defaults: Any, free_form: set[str], path: str = "") -> list[str]:
    """Dotted paths of `values` that the chart's defaults do not have (a typo, or a key of another version)."""
    if path in free_form or not isinstance(values, dict):
        return []
    if not isinstance(defaults, dict):
        return [f"{path} (the chart's default is {defaults!r}, not a map)"]
    problems = []
    for key, value in values.items():
        child = f"{path}.{key}" if path else key
        if key not in defaults:
            problems.append(child)
        else:
            problems += unknown_keys(value, defaults[key], free_form, child)
    return problems


def _values_by_chart(stack: str, grafana_secret: str | None = "grafana-admin") -> dict[charts.ChartFact, dict]:
    settings = stack_settings(stack)
    refs = platform_refs(settings)
    addons = settings.addons
    return {
        charts.KUBE_PROMETHEUS_STACK: kube_prometheus_stack_values(
            addons.monitoring, refs, settings.cluster.mode != "kubeconfig", grafana_secret
        ),
        charts.FLAGGER: flagger_values(addons.flagger, refs),
        charts.LOADTESTER: loadtester_values(addons.flagger),
        charts.KEDA: keda_values(addons.keda, refs, settings.cluster.mode != "kubeconfig"),
    }


@pytest.mark.parametrize("stack", STACKS)
def test_every_value_we_set_exists_in_the_pinned_charts_defaults(stack):
    for fact, values in _values_by_chart(stack).items():
        assert values, fact.chart
        assert unknown_keys(values, default_values(fact), FREE_FORM[fact.chart]) == [], fact.chart


def test_a_misspelt_or_misplaced_key_fails_the_check():
    values = _values_by_chart("prod")[charts.KUBE_PROMETHEUS_STACK]
    defaults = default_values(charts.KUBE_PROMETHEUS_STACK)
    free_form = FREE_FORM["kube-prometheus-stack"]
    typo = {**values, "prometheus": {"prometheusSpec": {"retension": "30d"}}}
    assert unknown_keys(typo, defaults, free_form) == ["prometheus.prometheusSpec.retension"]
    # A real key of the Grafana subchart, but not one this chart's values.yaml declares under grafana:
    assert unknown_keys({"grafana": {"adminPasswordd": "x"}}, defaults, free_form) == ["grafana.adminPasswordd"]
    # A key nested below a scalar default
    assert unknown_keys({"prometheus": {"prometheusSpec": {"retention": {"days": 3}}}}, defaults, free_form) == [
        "prometheus.prometheusSpec.retention (the chart's default is '10d', not a map)"
    ]


def test_free_form_maps_are_empty_maps_in_the_charts_defaults():
    """The exemption list may only name maps the chart leaves open, never a typed block."""
    for fact in (charts.KUBE_PROMETHEUS_STACK, charts.FLAGGER, charts.LOADTESTER, charts.KEDA):
        for path in FREE_FORM[fact.chart]:
            node: Any = default_values(fact)
            for part in path.split("."):
                node = node[part]
            assert isinstance(node, dict), (fact.chart, path)
            assert set(node) <= {"limits", "requests"}, (fact.chart, path, "only resource maps may have keys")


def test_the_defaults_files_are_the_pinned_versions():
    for fact in (charts.KUBE_PROMETHEUS_STACK, charts.FLAGGER, charts.LOADTESTER, charts.KEDA):
        assert (CHARTS_DIR / f"{fact.chart}-{fact.version}-values.yaml").is_file()
    assert default_values(charts.FLAGGER)["image"]["tag"] == charts.FLAGGER.version
    assert default_values(charts.LOADTESTER)["image"]["tag"] == charts.LOADTESTER.version


def test_kube_prometheus_stack_needs_no_helm_hook():
    values = _values_by_chart("dev")[charts.KUBE_PROMETHEUS_STACK]
    operator = values["prometheusOperator"]
    # The admission certificate comes from a hook Job helm.v4.Chart never runs: no webhooks, no TLS mount.
    assert operator["admissionWebhooks"]["enabled"] is False
    assert operator["tls"]["enabled"] is False
    assert default_values(charts.KUBE_PROMETHEUS_STACK)["crds"]["upgradeJob"]["enabled"] is False


def test_grafana_password_goes_through_an_existing_secret_only():
    with_secret = _values_by_chart("prod")[charts.KUBE_PROMETHEUS_STACK]["grafana"]
    assert with_secret["admin"] == {
        "existingSecret": "grafana-admin",
        "userKey": "admin-user",
        "passwordKey": "admin-password",
    }
    assert "adminPassword" not in with_secret
    without = _values_by_chart("prod", grafana_secret=None)[charts.KUBE_PROMETHEUS_STACK]["grafana"]
    assert "admin" not in without and "adminPassword" not in without


def test_grafana_watches_the_dashboard_label_of_the_platform_refs():
    settings = stack_settings("staging")
    dashboards = _values_by_chart("staging")[charts.KUBE_PROMETHEUS_STACK]["grafana"]["sidecar"]["dashboards"]
    assert (dashboards["label"], dashboards["labelValue"]) == platform_refs(settings).dashboard_label
    assert dashboards["searchNamespace"] == "ALL"


@pytest.mark.parametrize(
    "stack, retention, replicas, storage",
    [("local", "2d", 1, None), ("dev", "7d", 1, "20Gi"), ("staging", "15d", 1, "50Gi"), ("prod", "30d", 2, "100Gi")],
)
def test_retention_replicas_and_storage_follow_the_environment(stack, retention, replicas, storage):
    spec = _values_by_chart(stack)[charts.KUBE_PROMETHEUS_STACK]["prometheus"]["prometheusSpec"]
    assert (spec["retention"], spec["replicas"]) == (retention, replicas)
    if storage is None:
        assert "storageSpec" not in spec
    else:
        claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
        assert claim["resources"]["requests"]["storage"] == storage


def test_gke_drops_the_scrape_targets_of_a_managed_control_plane():
    gke = _values_by_chart("dev")[charts.KUBE_PROMETHEUS_STACK]
    kind = _values_by_chart("local")[charts.KUBE_PROMETHEUS_STACK]
    for target in ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"):
        assert gke[target] == {"enabled": False}
        assert target not in kind


@pytest.mark.parametrize(
    "stack, provider", [("local", "kubernetes"), ("dev", "gatewayapi:v1"), ("prod", "gatewayapi:v1")]
)
def test_flagger_queries_the_stacks_prometheus_with_the_stacks_router(stack, provider):
    values = _values_by_chart(stack)[charts.FLAGGER]
    assert values["metricsServer"] == "http://kube-prometheus-stack-prometheus.monitoring:9090"
    assert values["meshProvider"] == provider
    assert values["crd"]["create"] is False  # crds/ already installs them; true would render each twice
    assert values["podMonitor"]["additionalLabels"] == {"release": "kube-prometheus-stack"}


def test_flagger_elects_a_leader_only_with_several_replicas():
    assert _values_by_chart("prod")[charts.FLAGGER]["leaderElection"] == {"enabled": True, "replicaCount": 2}
    assert _values_by_chart("dev")[charts.FLAGGER]["leaderElection"] == {"enabled": False, "replicaCount": 1}


def test_keda_installs_its_crds_and_is_scraped_with_the_selector_labels():
    values = _values_by_chart("staging")[charts.KEDA]
    assert values["crds"]["install"] is True
    assert values["prometheus"]["operator"]["serviceMonitor"]["additionalLabels"] == {
        "release": "kube-prometheus-stack"
    }
    assert values["resources"]["operator"] == {
        "requests": {"cpu": "100m", "memory": "256Mi"},
        "limits": {"memory": "256Mi"},
    }


def test_keda_serves_the_control_plane_on_a_port_private_gke_nodes_admit():
    gke, kind = _values_by_chart("prod")[charts.KEDA], _values_by_chart("local")[charts.KEDA]
    assert (gke["service"]["portHttpsTarget"], gke["webhooks"]["port"]) == (10250, 10250)
    assert "service" not in kind and "webhooks" not in kind
    defaults = default_values(charts.KEDA)
    assert (defaults["service"]["portHttpsTarget"], defaults["webhooks"]["port"]) == (6443, "")


def test_disruption_budgets_only_where_a_second_replica_serves():
    prod, dev = _values_by_chart("prod"), _values_by_chart("dev")
    for component in ("prometheus", "alertmanager"):
        assert prod[charts.KUBE_PROMETHEUS_STACK][component]["podDisruptionBudget"]["enabled"] is True
        assert dev[charts.KUBE_PROMETHEUS_STACK][component]["podDisruptionBudget"]["enabled"] is False
    assert prod[charts.KEDA]["podDisruptionBudget"] == {"operator": {"minAvailable": 1}}
    assert "podDisruptionBudget" not in dev[charts.KEDA]


def test_the_kept_defaults_are_the_chart_authors_files_unchanged():
    """Each values file is the bytes tests/data/sources.json records for the chart's pinned upstream commit."""
    sources = load_sources()
    for fact in charts.CHARTS:
        name = f"charts/{fact.chart}-{fact.version}-values.yaml"
        assert name in sources["files"], name
        assert sha256((CHARTS_DIR.parent / name).read_bytes()) == sources["files"][name]["sha256"], name
