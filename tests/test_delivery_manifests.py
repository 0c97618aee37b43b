"""Per-model progressive-delivery objects, built from the real stacks and catalogue: strictly valid,
every PromQL query parsed by a real parser and naming only series the runtime exports, thresholds
traced from the catalogue, canary and primary pods told apart."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from facts import quality_metrics as Q
from manifests.containers import server_container
from manifests.delivery import alerting, analysis, autoscaling, canary, dashboard, fallback, health_checks, monitoring
from manifests.delivery.analysis import BUILTIN_CHECKS
from manifests.delivery.queries import POD_SUFFIX, Scope
from tests.conftest import STACKS
from tests.delivery_fixtures import (
    QUALITY,
    SHARED_TABLES,
    plans_for,
    stack_settings,
    with_keda,
)
from tests.promql import parse, unknown_names
from tests.schemas import validate

WEBHOOK_URL = "https://hooks.example.com/services/T000/B000/XXXX"


def all_plans(stack: str, keda: bool = True, alerts: bool = True):
    return with_keda(plans_for(stack, alerts=alerts), keda)


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


def test_thresholds_come_from_the_catalogue_slo():
    plan = all_plans("prod")["fraud-detection"]
    slo = plan.serving.model.slo  # fraud-detection.yaml: p99 150 ms, p95 300 ms, success 0.995, errors 0.005
    metrics = {m["name"]: m for m in canary.canary_manifest(plan)["spec"]["analysis"]["metrics"]}
    assert metrics["success-rate-percent"]["thresholdRange"] == {"min": slo.min_success_rate * 100} == {"min": 99.5}
    assert metrics["latency-p99-ms"]["thresholdRange"] == {"max": 150.0}
    rules = {r["alert"]: r for r in monitoring.alert_rules(plan)}
    assert rules["ModelLatencyP95OverSla"]["expr"].endswith("> 300")
    assert rules["ModelErrorRateHigh"]["expr"].endswith("> 0.005")
    assert "histogram_quantile(0.95" in rules["ModelLatencyP95OverSla"]["expr"]


def test_prod_canary_steps_one_five_twentyfive_never_with_step_weight():
    for plan in all_plans("prod").values():
        spec = canary.canary_manifest(plan)["spec"]
        # 1%, 5% and 25%, each held for three checks as +1% steps (Flagger stalls on a repeated weight).
        assert spec["analysis"]["stepWeights"] == [1, 2, 3, 5, 6, 7, 25, 26, 27]
        assert "stepWeight" not in spec["analysis"] and "maxWeight" not in spec["analysis"]
        assert spec["analysis"]["interval"] == "10s" and spec["analysis"]["threshold"] == 3
        assert spec["provider"] == "gatewayapi:v1" and spec["service"]["gatewayRefs"]
        assert "timeout" not in spec["service"] and "backendTimeout" not in spec["service"]
        assert spec["skipAnalysis"] is False


@pytest.mark.parametrize(
    ("stack", "approval", "analysed"), [("prod", True, True), ("staging", True, True), ("dev", False, False)]
)
def test_approval_gate_and_analysis_per_environment(stack, approval, analysed):
    for plan in all_plans(stack).values():
        spec = canary.canary_manifest(plan)["spec"]
        types = [h["type"] for h in spec["analysis"]["webhooks"]]
        assert ("confirm-promotion" in types) is approval
        assert "rollback" in types
        assert spec["skipAnalysis"] is not analysed


def test_staging_is_faster_than_prod():
    prod, staging = stack_settings("prod").delivery.policy("prod"), stack_settings("staging").delivery.policy("staging")
    assert staging.interval_seconds <= prod.interval_seconds
    assert len(staging.traffic_steps()) < len(prod.traffic_steps())


def test_load_test_goes_through_the_gateway_with_the_route_host():
    plan = all_plans("prod")["fraud-detection"]
    hooks = {h["name"]: h for h in canary.canary_manifest(plan)["spec"]["analysis"]["webhooks"]}
    pre = hooks["load-test-through-gateway"]
    assert pre["type"] == "pre-rollout"
    assert f"Host: {plan.host}" in pre["metadata"]["cmd"] and f"-host {plan.host}" in pre["metadata"]["cmd"]
    # prod's Gateway listens on HTTPS 443 only: the load test uses its listener's scheme
    assert f"https://{plan.host}/v2/models/fraud-detection/infer" in pre["metadata"]["cmd"]
    assert "http://" not in pre["metadata"]["cmd"]
    assert canary.canary_manifest(plan)["spec"]["service"]["hosts"] == [plan.host]
    rollout = hooks["load-canary"]
    assert (
        rollout["type"] == "rollout"
        and f"http://fraud-detection-canary.{plan.namespace}:8080" in rollout["metadata"]["cmd"]
    )
    vllm = all_plans("prod")["support-assistant"]
    cmds = " ".join(
        h.get("metadata", {}).get("cmd", "") for h in canary.canary_manifest(vllm)["spec"]["analysis"]["webhooks"]
    )
    assert "/v1/completions" in cmds and '"model":"support-assistant"' in cmds


def test_canary_load_starts_before_the_first_check_lasts_the_rollout_and_feeds_the_guard():
    import shlex

    from manifests.delivery.traffic_guard import min_requests
    from plan.delivery import SCRAPE_SECONDS

    for plan in all_plans("prod").values():
        hooks = {h["name"]: h for h in canary.canary_manifest(plan)["spec"]["analysis"]["webhooks"]}
        if "load-canary" not in hooks:
            continue
        warm, load = hooks["warm-up-canary"], hooks["load-canary"]
        # Same command: the load tester runs it once and skips the rollout hook's calls while it runs.
        assert warm["type"] == "pre-rollout" and warm["metadata"] == load["metadata"]
        args = shlex.split(load["metadata"]["cmd"])
        value = {args[i]: args[i + 1] for i in range(len(args) - 1) if args[i].startswith("-")}
        assert value["-z"] == "3300s"  # under the load tester's 1 h exec timeout
        rps = float(value["-q"]) * int(value["-c"])
        assert rps * (plan.window_seconds - SCRAPE_SECONDS) >= 1.49 * min_requests(plan), plan.name
        # enough workers to hold that rate at twice the latency objective
        assert int(value["-c"]) * 1000 / (2 * plan.serving.model.slo.latency_p99_ms) >= rps * 0.999
        assert all(int(h["timeout"].removesuffix("s")) < 10 for h in (warm, load))


def test_local_stack_is_blue_green_without_weights():
    for plan in all_plans("local").values():
        spec = canary.canary_manifest(plan)["spec"]
        assert spec["provider"] == "kubernetes"
        assert "stepWeights" not in spec["analysis"] and spec["analysis"]["iterations"] >= 1
        assert "gatewayRefs" not in spec["service"]


def test_scaling_on_demand_with_catalogue_bounds():
    plans = all_plans("prod")
    fraud = autoscaling.scaled_object_manifest(plans["fraud-detection"])["spec"]
    ref = canary.canary_manifest(plans["fraud-detection"])["spec"]["autoscalerRef"]
    # The catalogue's bounds are the primary's; the ScaledObject we write is the canary's (next test).
    assert (
        (ref["primaryScalerReplicas"]["minReplicas"], ref["primaryScalerReplicas"]["maxReplicas"])
        == plans["fraud-detection"].serving.model.replica_bounds("prod")
        == (4, 30)
    )
    assert fraud["minReplicaCount"] == 1
    (trigger,) = fraud["triggers"]
    assert (
        trigger["metadata"]["threshold"] == "100"
        and "rate(model_infer_request_success_total" in trigger["metadata"]["query"]
    )
    triton = autoscaling.scaled_object_manifest(plans["image-classifier"])["spec"]["triggers"][0]["metadata"]
    assert "nv_inference_pending_request_count" in triton["query"] and triton["threshold"] == "5"
    vllm = autoscaling.scaled_object_manifest(plans["support-assistant"])["spec"]["triggers"][0]["metadata"]
    assert "vllm:num_requests_waiting" in vllm["query"]
    ref = canary.canary_manifest(plans["fraud-detection"])["spec"]["autoscalerRef"]
    assert ref["kind"] == "ScaledObject" and "-primary-" in ref["primaryScalerQueries"]["demand"]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod", "local"])
def test_a_canary_analysis_never_doubles_a_models_pods(stack):
    """Flagger v1.44.0 resumes the target ScaledObject for each analysis (scheduler.go ResumeTargetScaler)
    and starts the canary at its minReplicaCount: with the catalogue's bounds there, the canary ran as
    many pods (GPUs included) as the primary. The primary now gets the catalogue's bounds through
    primaryScalerReplicas, the canary one pod up to the highest step's share of the maximum."""
    for plan in all_plans(stack).values():
        low, high = plan.serving.model.replica_bounds(plan.serving.environment)
        scaled = autoscaling.scaled_object_manifest(plan)["spec"]
        ref = canary.canary_manifest(plan)["spec"]["autoscalerRef"]
        assert ref["kind"] == "ScaledObject" and ref["name"] == scaled["scaleTargetRef"]["name"] == plan.name
        assert ref["primaryScalerReplicas"] == {"minReplicas": low, "maxReplicas": high}
        top = max(plan.policy.step_weights) if plan.weighted else 0
        assert scaled["minReplicaCount"] == 1
        assert scaled["maxReplicaCount"] == max(1, -(-high * top // 100))
        assert scaled["maxReplicaCount"] <= high and (high == 1 or scaled["maxReplicaCount"] < high)
        version = stack_settings(stack).kubernetes_version
        validate(canary.canary_manifest(plan), version)
        validate(autoscaling.scaled_object_manifest(plan), version)


def test_without_keda_the_canary_references_the_hpa():
    plan = all_plans("prod", keda=False)["fraud-detection"]
    ref = canary.canary_manifest(plan)["spec"]["autoscalerRef"]
    assert ref == {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "name": "fraud-detection"}


def test_pod_monitor_selects_primary_and_canary_on_the_metrics_port():
    for plan in all_plans("prod").values():
        monitor = monitoring.pod_monitor_manifest(plan)
        selector = monitor["spec"]["selector"]["matchLabels"]
        assert "app.kubernetes.io/name" not in selector  # Flagger rewrites it on primary pods
        assert selector == {"mlops.platform/model": plan.name, "mlops.platform/environment": "prod"}
        (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
        assert endpoint["port"] == plan.serving.runtime.metrics_port_name
        assert plan.metrics.port == plan.serving.runtime.metrics_port and plan.metrics.path == endpoint["path"]
        for manifest in (monitor, monitoring.prometheus_rule_manifest(plan)):
            assert manifest["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_alerts_have_severity_summary_runbook_and_quality_only_where_exported():
    plans = all_plans("prod")
    churn = {r["alert"]: r for r in monitoring.alert_rules(plans["churn-prediction"])}
    fraud = {r["alert"]: r for r in monitoring.alert_rules(plans["fraud-detection"])}
    base = {"ModelLatencyP95OverSla", "ModelErrorRateHigh", "ModelReplicasUnavailable", "ModelCanaryFailed"}
    triton = {r["alert"]: r for r in monitoring.alert_rules(plans["image-classifier"])}
    # churn-prediction exports drift (the monitor) but no accuracy: its entry names no labelsSource; its
    # freshness.maxAge adds the freshness alert, which no other entry sets (off by default).
    assert set(triton) == base
    # churn-prediction (sklearn on MLServer) exports confidence: it gets the confidence alert.
    assert set(churn) == base | {"ModelDriftHigh", "ModelConfidenceLow", "ModelVersionStale"}
    assert churn["ModelConfidenceLow"]["expr"].endswith(
        f"< {plans['churn-prediction'].serving.model.quality.min_confidence}"
    )
    churn_plan = plans["churn-prediction"]
    labelled = replace(
        churn_plan, serving=replace(churn_plan.serving, quality_series=frozenset({Q.ACCURACY, Q.DRIFT_SCORE}))
    )
    with_accuracy = {r["alert"]: r for r in monitoring.alert_rules(labelled)}
    assert set(with_accuracy) == base | {
        "ModelAccuracyLow",
        "ModelAccuracyDropped",
        "ModelDriftHigh",
        "ModelVersionStale",
    }
    assert "ModelConfidenceLow" not in with_accuracy  # its quality_series here lists no confidence
    quality = plans["churn-prediction"].serving.model.quality
    assert churn["ModelDriftHigh"]["expr"].endswith(f"> {quality.rollback_drift}")
    assert with_accuracy["ModelAccuracyLow"]["expr"].endswith(f"< {quality.min_accuracy}")
    # Pushed series carry the Pushgateway's namespace: selected by the push job and model, not the namespace.
    assert 'job="quality-monitor",model="churn-prediction"' in churn["ModelDriftHigh"]["expr"]
    assert "namespace" not in churn["ModelDriftHigh"]["expr"]
    for rule in [*churn.values(), *fraud.values(), *with_accuracy.values()]:
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"] and rule["annotations"]["runbook_url"].startswith("https://")
    assert fraud["ModelCanaryFailed"]["expr"].endswith("== 2")


def test_dashboards_are_json_with_the_expected_panels():
    plans = all_plans("prod")
    common = {"Requests per second", "Error ratio", "Latency (ms)", "Replicas available", "Canary weight (%)"}
    expected = {
        "fraud-detection": common,
        "image-classifier": common | {"GPU utilisation", "Queue (pending requests)"},
        "support-assistant": common | {"Tokens per second", "Queue (waiting requests)", "KV cache usage"},
    }
    for name, titles in expected.items():
        config_map = dashboard.dashboard_config_map(plans[name])
        assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
        board = json.loads(config_map["data"][f"{name}.json"])
        found = {p["title"] for p in board["panels"]}
        assert titles <= found, titles - found
        latency = next(p for p in board["panels"] if p["title"] == "Latency (ms)")
        assert [t["legendFormat"] for t in latency["targets"]] == ["p50", "p95", "p99"]


def test_alert_webhook_url_only_in_a_secret():
    plan = all_plans("prod")["fraud-detection"]
    provider = alerting.alert_provider_manifest(plan)
    assert "address" not in provider["spec"]
    secret = alerting.alert_secret_manifest(plan, WEBHOOK_URL)
    assert provider["spec"]["secretRef"]["name"] == secret["metadata"]["name"]
    assert secret["stringData"] == {"address": WEBHOOK_URL}
    alerts = canary.canary_manifest(plan)["spec"]["analysis"]["alerts"]
    assert alerts[0]["providerRef"]["name"] == provider["metadata"]["name"]
    assert (
        "alerts" not in canary.canary_manifest(all_plans("prod", alerts=False)["fraud-detection"])["spec"]["analysis"]
    )


def test_what_flagger_owns_is_never_set_by_us():
    """Flagger scales the target (FLAGGER_OWNED, also Argo CD's ignoreDifferences): the Canary sets no replicas."""
    from manifests.gitops.flagger_owned import FLAGGER_OWNED

    assert [(o.kind, o.json_pointers) for o in FLAGGER_OWNED] == [("Deployment", ("/spec/replicas",))]
    for plan in all_plans("prod").values():
        manifest = canary.canary_manifest(plan)
        assert "replicas" not in manifest["spec"] and manifest["spec"]["targetRef"]["kind"] == "Deployment"


def test_no_fallback_route_unless_switched():
    for plan in all_plans("prod").values():
        assert fallback.fallback_route_manifest(plan) is None and fallback.reference_grant_manifest(plan) is None


def test_gke_health_checks_cover_the_services_flagger_generates():
    for plan in all_plans("prod").values():
        policies = health_checks.health_check_policy_manifests(plan)
        targets = sorted(p["spec"]["targetRef"]["name"] for p in policies)
        assert targets == sorted([plan.name, f"{plan.name}-canary", f"{plan.name}-primary"])
        path = policies[0]["spec"]["default"]["config"]["httpHealthCheck"]["requestPath"]
        assert path == plan.serving.runtime.readiness.path_for(plan.name) and path != "/"
    assert all(health_checks.health_check_policy_manifests(p) == [] for p in all_plans("local").values())


def _analysis_metrics(plan) -> dict[str, dict]:
    return {m["name"]: m for m in canary.canary_manifest(plan)["spec"]["analysis"]["metrics"]}


def test_quality_checks_in_the_canary_where_the_model_exports_them():
    plans = all_plans("prod")
    churn = plans["churn-prediction"]  # mlserver, sklearn, monitoring.canaryChecks [confidence, drift]
    quality = churn.serving.model.quality
    metrics = _analysis_metrics(churn)
    assert metrics["prediction-confidence"]["thresholdRange"] == {"min": quality.min_confidence}
    assert metrics["input-drift"]["thresholdRange"] == {"max": quality.max_drift}
    assert "accuracy" not in metrics  # no labelsSource, so no accuracy series
    templates = {t["metadata"]["name"]: t for t in analysis.metric_template_manifests(churn)}
    for metric in metrics.values():
        assert metric["templateRef"]["name"] in templates
    confidence = templates["churn-prediction-prediction-confidence"]["spec"]["query"]
    assert f"{Q.PREDICTION_CONFIDENCE.name}_sum{{{Scope.flagger_canary().matchers}" in confidence
    drift = templates["churn-prediction-input-drift"]["spec"]["query"]
    assert Q.DRIFT_SCORE.name in drift and "and on(version)" in drift
    for name in ("image-classifier", "support-assistant"):  # Triton and vLLM export no quality series
        assert set(_analysis_metrics(plans[name])) == {"request-count", "success-rate-percent", "latency-p99-ms"}


def test_quality_check_thresholds_follow_the_catalogue():
    churn = all_plans("prod")["churn-prediction"]
    model = churn.serving.model
    stricter = model.model_copy(
        update={"quality": model.quality.model_copy(update={"min_confidence": 0.9, "max_drift": 0.1})}
    )
    plan = replace(churn, serving=replace(churn.serving, model=stricter))
    metrics = _analysis_metrics(plan)
    assert metrics["prediction-confidence"]["thresholdRange"] == {"min": 0.9}
    assert metrics["input-drift"]["thresholdRange"] == {"max": 0.1}


def test_quality_panels_only_where_exported():
    plans = all_plans("prod")
    titles = {
        name: {p["title"] for p in dashboard.dashboard(plans[name])["panels"]}
        for name in ("churn-prediction", "image-classifier")
    }
    assert {"Mean prediction confidence", "Input drift score"} <= titles["churn-prediction"]
    assert not {"Mean prediction confidence", "Input drift score"} & titles["image-classifier"]
