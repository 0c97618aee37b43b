"""The Flagger Canary's rollout per model, from the real stacks and catalogue: traffic steps, approval
gate, load tests, blue-green on the local stack, autoscaling of primary and canary, what Flagger owns,
the fallback route and the GKE health checks of the Services Flagger generates."""

from __future__ import annotations

import pytest

from manifests.delivery import autoscaling, canary, fallback, health_checks
from tests.delivery_fixtures import all_plans, stack_settings
from tests.schemas import validate


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
