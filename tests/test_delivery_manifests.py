"""Per-model progressive-delivery objects, built from the real stacks and catalogue: strictly valid,
every PromQL query parsed by a real parser and naming only series the runtime exports, canary and
primary pods told apart. The Canary's rollout is in test_delivery_canary.py, its analysis checks in
test_delivery_analysis.py, monitors, alerts and dashboards in test_delivery_observability.py."""

from __future__ import annotations

import re

import pytest

from manifests.containers import server_container
from manifests.delivery import alerting, analysis, autoscaling, canary, dashboard, health_checks, monitoring
from manifests.delivery.analysis import BUILTIN_CHECKS
from manifests.delivery.queries import POD_SUFFIX, Scope
from tests.conftest import STACKS
from tests.delivery_fixtures import QUALITY, SHARED_TABLES, WEBHOOK_URL, all_plans, stack_settings
from tests.promql import parse, unknown_names
from tests.schemas import validate


def delivery_objects(plan) -> list[dict]:
    objects = [
        *analysis.metric_template_manifests(plan),
        canary.canary_manifest(plan),
        monitoring.pod_monitor_manifest(plan),
        monitoring.prometheus_rule_manifest(plan),
        dashboard.dashboard_config_map(plan),
        alerting.alert_provider_manifest(plan),
        alerting.alert_secret_manifest(plan, WEBHOOK_URL),
        *health_checks.health_check_policy_manifests(plan),
    ]
    if plan.serving.scaling.keda:
        objects.append(autoscaling.scaled_object_manifest(plan))
    else:
        objects.append(autoscaling.hpa_manifest(plan.serving))
    return objects


def queries(plan) -> list[str]:
    """Every PromQL expression the model's objects carry."""
    found = [t["spec"]["query"] for t in analysis.metric_template_manifests(plan)]
    found += [r["expr"] for r in monitoring.alert_rules(plan)]
    scaled = autoscaling.scaled_object_manifest(plan)
    found += [t["metadata"]["query"] for t in scaled["spec"]["triggers"]]
    found += list(autoscaling.primary_scaler_queries(plan).values())
    for panel in dashboard.dashboard(plan)["panels"]:
        found += [t["expr"] for t in panel["targets"]]
    return found


@pytest.mark.parametrize("keda", [True, False])
@pytest.mark.parametrize("stack", STACKS)
def test_every_delivery_object_is_strictly_valid(stack, keda):
    version = stack_settings(stack).kubernetes_version
    plans = all_plans(stack, keda=keda)
    assert plans
    for plan in plans.values():
        for manifest in delivery_objects(plan):
            validate(manifest, version)


@pytest.mark.parametrize("stack", STACKS)
def test_every_query_parses_and_names_only_series_the_runtime_exports(stack):
    for plan in all_plans(stack).values():
        tables = [plan.metrics, *SHARED_TABLES, QUALITY]
        for query in queries(plan):
            parse(query)  # raises on a syntax error
            assert unknown_names(query, tables) == [], query
        # The runtime's own signals come from its own table, not another runtime's; quality checks
        # name only the series of facts/quality_metrics.py.
        quality = {check.name for check in analysis.quality_checks(plan)}
        for check in analysis.checks(plan):
            # Quality checks are gated on the runtime's request count (traffic_guard.py).
            tables = [QUALITY, plan.metrics] if check.name in quality else [plan.metrics]
            assert unknown_names(check.query, tables) == [], check.query


def test_a_query_naming_another_runtimes_series_is_caught():
    plans = all_plans("prod")
    vllm, mlserver = plans["support-assistant"], plans["fraud-detection"]
    success = analysis.checks(mlserver)[1]
    assert unknown_names(success.query, [vllm.metrics]) != []
    assert unknown_names('sum(rate(model_infer_request_success_total{model_name="x"}[1m]))', [mlserver.metrics])


def test_queries_use_the_documented_names_per_runtime():
    plans = all_plans("prod")
    by_runtime = {p.serving.runtime.name: p for p in plans.values()}
    guard, ok, p99, *_ = analysis.checks(by_runtime["mlserver"])
    assert "model_infer_request_success_total" in ok.query and "model_infer_request_failure_total" in ok.query
    assert "rest_server_request_duration_seconds_bucket" in p99.query
    assert guard.name == "request-count" and "increase(model_infer_request_success_total{" in guard.query
    guard, ok, p99 = analysis.checks(by_runtime["triton"])
    assert "nv_inference_request_success{" in ok.query  # no _total on Triton
    assert "nv_inference_request_summary_us{" in p99.query and 'quantile="0.99"' in p99.query
    assert "increase(nv_inference_request_failure{" in guard.query
    guard, ok, p99 = analysis.checks(by_runtime["vllm"])
    assert 'status!="5xx"' in ok.query and "vllm:e2e_request_latency_seconds_bucket" in p99.query
    assert "increase(http_requests_total{" in guard.query


def test_triton_runs_with_the_summary_latencies_its_p99_reads():
    plan = all_plans("prod")["image-classifier"]
    args = server_container(plan.serving.runtime, plan.serving.model, "3").args
    assert "--metrics-config=summary_latencies=true" in args
    assert any(a.startswith("--metrics-config=summary_quantiles=") and "0.99:" in a for a in args)


def test_templates_are_never_named_like_flagger_builtins():
    for stack in STACKS:
        for plan in all_plans(stack).values():
            names = [m["name"] for m in canary.canary_manifest(plan)["spec"]["analysis"]["metrics"]]
            assert names and not set(names) & set(BUILTIN_CHECKS)


def _flagger_regex(scope: Scope, target: str) -> re.Pattern:
    pattern = re.search(r'pod=~"([^"]+)"', scope.matchers).group(1).replace("{{ target }}", target)
    return re.compile(f"^(?:{pattern})$")  # PromQL regexes are fully anchored


def test_canary_and_primary_pods_are_told_apart():
    name = "fraud-detection"
    canary_pod, primary_pod = f"{name}-7d9f8c6b5-x2x7q", f"{name}-primary-7d9f8c6b5-x2x7q"
    in_template = _flagger_regex(Scope.flagger_canary(), name)
    assert in_template.match(canary_pod) and not in_template.match(primary_pod)
    canary_only = _flagger_regex(Scope.canary("ns", name), name)
    assert canary_only.match(canary_pod) and not canary_only.match(primary_pod)
    primary_only = _flagger_regex(Scope.primary("ns", name), name)
    assert primary_only.match(primary_pod) and not primary_only.match(canary_pod)
    both = _flagger_regex(Scope.model("ns", name), name)
    assert both.match(primary_pod) and both.match(canary_pod) and not both.match(f"{name}-lite-7d9f8c6b5-x2x7q")
    assert POD_SUFFIX in Scope.flagger_canary().matchers
