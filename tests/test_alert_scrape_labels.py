"""Every alert's label matchers name labels its series really carry after the scrape that brings them.

prometheus-operator attaches target labels (namespace, pod, container, endpoint, job, instance, and
service for a ServiceMonitor) to every scraped series; with `honorLabels: false` a series label of
the same name is renamed `exported_<label>` [facts/scrapes.py sources]. Which monitor scrapes which
exporter, and its honorLabels, are read here from what the stack really emits: the models' PodMonitors
and the Pushgateway's ServiceMonitor in the render, and Flagger's and kube-state-metrics' monitors from
each chart's default values under the values we set. A matcher on a label the scrape never produces,
or on a target `namespace` the target is not in, selects nothing and the alert can never fire.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import promql_parser
import pytest
import yaml

from facts import charts
from facts import quality_metrics as Q
from facts.delivery_metrics import DELIVERY_SERIES
from facts.runtime_metrics import FLAGGER, KUBE_STATE_METRICS, RUNTIME_METRICS, MetricsTable
from ops.engine import unwrap
from tests.conftest import PROJECT_DIR, STACKS
from tests.delivery_fixtures import CATALOGUE
from tests.markdown_links import github_anchors
from tests.promql import parse
from tests.runs import charts_by_name

CHARTS_DIR = Path(__file__).parent / "data" / "charts"
# prometheus-operator's target labels per monitor kind (Documentation/api-reference; promcfg.go relabelling).
TARGET_LABELS = {
    "PodMonitor": {"namespace", "pod", "container", "endpoint", "job", "instance"},
    "ServiceMonitor": {"namespace", "service", "pod", "container", "endpoint", "job", "instance"},
}
# Through the Pushgateway: the quality monitor's series and the delivery-metrics job's.
PUSHED = {Q.FEATURE_DRIFT.name, Q.DRIFT_SCORE.name, Q.ACCURACY.name, *(s.name for s in DELIVERY_SERIES)}
# What the Pushgateway adds to a pushed series: the push's job, its grouping key (model), instance="".
PUSH_LABELS = ("job", Q.MODEL_LABEL, "instance")


@dataclass(frozen=True)
class Scraped:
    kind: str
    honor_labels: bool
    namespace: str  # the scrape target's namespace, the value of the target label `namespace`
    series_labels: frozenset[str]

    def labels(self) -> set[str]:
        target = TARGET_LABELS[self.kind]
        own = {f"exported_{x}" if x in target and not self.honor_labels else x for x in self.series_labels}
        return own | target

    def namespace_is_the_target(self) -> bool:
        return "namespace" not in self.series_labels or not self.honor_labels


def _objects(run, kind: str) -> list[dict]:
    return [unwrap(r.inputs) for r in run.kubernetes_objects() if r.inputs.get("kind") == kind]


def _merged(defaults, values):
    if isinstance(defaults, dict) and isinstance(values, dict):
        return {**defaults, **{k: _merged(defaults.get(k), v) for k, v in values.items()}}
    return values


def _chart_values(run, fact: charts.ChartFact) -> tuple[dict, str]:
    chart = charts_by_name(run)[fact.chart]
    defaults = yaml.safe_load((CHARTS_DIR / f"{fact.chart}-{fact.version}-values.yaml").read_text())
    return _merged(defaults, unwrap(chart.inputs.get("values") or {})), chart.inputs["namespace"]


def _series_labels(table: MetricsTable, series: str) -> frozenset[str]:
    return frozenset(table.metric(series).label_names())


def _quality_labels(series: str) -> frozenset[str]:
    for s in (*Q.QUALITY_SERIES, *DELIVERY_SERIES):
        if series in (s.name, f"{s.name}_bucket", f"{s.name}_sum", f"{s.name}_count"):
            return frozenset((*s.labels, *(("le",) if s.type == "histogram" else ())))
    raise KeyError(series)


def _scrape_of(run, model: str, series: str) -> Scraped:
    """Which monitor brings `series` of `model`'s alerts into Prometheus, as the stack really emits it."""
    if series.startswith("flagger_"):
        values, namespace = _chart_values(run, charts.FLAGGER)
        monitor = values["podMonitor"]
        assert monitor["enabled"], "Flagger's metrics are not scraped at all"
        return Scraped("PodMonitor", bool(monitor["honorLabels"]), namespace, _series_labels(FLAGGER, series))
    if series.startswith("kube_"):
        values, namespace = _chart_values(run, charts.KUBE_PROMETHEUS_STACK)
        monitor = values["kube-state-metrics"]["prometheus"]["monitor"]
        assert monitor["enabled"]
        honor = bool(monitor["http"]["honorLabels"])
        return Scraped("ServiceMonitor", honor, namespace, _series_labels(KUBE_STATE_METRICS, series))
    if series in PUSHED:
        (monitor,) = [m for m in _objects(run, "ServiceMonitor") if m["metadata"]["name"] == "pushgateway"]
        (endpoint,) = monitor["spec"]["endpoints"]
        labels = _quality_labels(series) | frozenset(PUSH_LABELS)
        return Scraped("ServiceMonitor", endpoint.get("honorLabels", False), monitor["metadata"]["namespace"], labels)
    (monitor,) = [m for m in _objects(run, "PodMonitor") if m["metadata"]["name"] == model]
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    deployment = next(d for d in _objects(run, "Deployment") if d["metadata"]["name"] == model)
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    table = next(t for name, t in RUNTIME_METRICS.items() if name in image)
    try:
        labels = _series_labels(table, series)
    except KeyError:
        labels = _quality_labels(series)  # produced by our MLServer runtime, on the model's own /metrics
    return Scraped("PodMonitor", endpoint.get("honorLabels", False), monitor["metadata"]["namespace"], labels)


def _selectors(node):
    """Every vector selector of a parsed expression."""
    if isinstance(node, promql_parser.VectorSelector):
        yield node
    elif isinstance(node, promql_parser.MatrixSelector):
        yield node.vector_selector
    for attr in ("expr", "lhs", "rhs", "param"):
        child = getattr(node, attr, None)
        if child is not None and not isinstance(node, promql_parser.MatrixSelector):
            yield from _selectors(child)
    for arg in getattr(node, "args", None) or ():
        yield from _selectors(arg)


def matcher_problems(run, model: str, expr: str) -> list[str]:
    problems = []
    for selector in _selectors(parse(expr)):
        scraped = _scrape_of(run, model, selector.name)
        produced = scraped.labels()
        for matcher in selector.matchers.matchers:
            if matcher.name not in produced:
                problems.append(f"{selector.name}: label {matcher.name!r} does not exist after its scrape")
            elif (
                matcher.name == "namespace"
                and scraped.namespace_is_the_target()
                and str(matcher.op) == "MatchOp.Equal"
                and matcher.value != scraped.namespace
            ):
                problems.append(
                    f"{selector.name}: namespace={matcher.value!r}, but the scrape target is in "
                    f"{scraped.namespace!r} (the series' own namespace is exported_namespace)"
                )
    return problems


def _alerts(run) -> list[tuple[str, dict]]:
    return [
        (rule["metadata"]["name"], alert)
        for rule in _objects(run, "PrometheusRule")
        for group in rule["spec"]["groups"]
        for alert in group["rules"]
    ]


def test_the_old_canary_failed_alert_is_caught(stack_runs):
    """ModelCanaryFailed as it was: the canary's namespace matched on Flagger's target label."""
    old = 'max(flagger_canary_status{namespace="ml-churn-prediction",name="churn-prediction"}) == 2'
    (problem,) = matcher_problems(stack_runs["prod"], "churn-prediction", old)
    assert "scrape target is in 'flagger-system'" in problem
    typo = 'sum(model_infer_request_success_total{namespace="ml-churn-prediction",modle="churn-prediction"})'
    assert matcher_problems(stack_runs["prod"], "churn-prediction", typo) == [
        "model_infer_request_success_total: label 'modle' does not exist after its scrape"
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_every_alert_matches_labels_its_scrape_really_produces(stack_runs, stack):
    run = stack_runs[stack]
    alerts = _alerts(run)
    assert alerts, f"stack {stack} renders no alerts"
    problems = [
        f"{model} {alert['alert']}: {problem}"
        for model, alert in alerts
        for problem in matcher_problems(run, model, alert["expr"])
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("stack", STACKS)
def test_every_dashboard_query_matches_labels_its_scrape_really_produces(stack_runs, stack):
    run = stack_runs[stack]
    problems = []
    for config_map in _objects(run, "ConfigMap"):
        if config_map["metadata"].get("labels", {}).get("grafana_dashboard") != "1":
            continue
        # The stack's delivery-metrics dashboard belongs to no model: its series all come through the Pushgateway.
        model = config_map["metadata"]["labels"].get("mlops.platform/model", "")
        for board in config_map["data"].values():
            for panel in json.loads(board)["panels"]:
                for target in panel["targets"]:
                    problems += [f"{model} {panel['title']}: {p}" for p in matcher_problems(run, model, target["expr"])]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("stack", STACKS)
def test_every_runbook_link_points_at_a_heading_of_the_delivery_doc(stack_runs, stack):
    anchors = github_anchors((PROJECT_DIR / "docs" / "delivery.md").read_text(encoding="utf-8"))
    assert "progressive-delivery-per-model" in anchors  # the anchor rule itself, on a known heading
    for model, alert in _alerts(stack_runs[stack]):
        url = alert["annotations"]["runbook_url"]
        page, _, anchor = url.partition("#")
        assert page.endswith("/docs/delivery.md"), url
        assert anchor in anchors, f"{model} {alert['alert']}: {url} names no heading of docs/delivery.md"


@pytest.mark.parametrize("stack", STACKS)
def test_the_latency_rollback_trigger_is_the_documents_p95_over_the_sla(stack_runs, stack):
    """brief.md "Rollback triggers" and seed 001 (`high_latency: p95 > SLA`, `p95_latency > 1000`): the p95 of
    the runtime's own latency series against slo.latencyP95Ms (1000 ms by default)."""
    run = stack_runs[stack]
    series = {"mlserver": "rest_server_request_duration_seconds_bucket", "triton": "nv_inference_request_summary_us"}
    series["vllm"] = "vllm:e2e_request_latency_seconds_bucket"
    deployments = {d["metadata"]["name"]: d for d in _objects(run, "Deployment")}
    for model, alert in _alerts(run):
        if alert["alert"] != "ModelLatencyP95OverSla":
            continue
        image = deployments[model]["spec"]["template"]["spec"]["containers"][0]["image"]
        runtime = next(name for name in RUNTIME_METRICS if name in image)
        expr = alert["expr"]
        assert series[runtime] in expr, (model, expr)
        assert "histogram_quantile(0.95," in expr or 'quantile="0.95"' in expr, (model, expr)
        threshold = float(expr.rsplit(">", 1)[1])
        spec = next(m for m in CATALOGUE.models if m.name == model)
        assert threshold == spec.slo.latency_p95_ms, (model, expr)  # the catalogue's SLA
