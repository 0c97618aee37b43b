"""Delivery plans: per-environment canary settings, the fallback switch and its checks, and the rollout
timing docs/delivery.md documents (computed from each stack's config)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from catalogue.delivery import Delivery
from core.problems import ConfigError
from manifests.delivery import fallback
from plan.delivery import delivery_plans
from plan.serving import serving_plans
from settings.delivery import CanaryPolicy, DeliverySettings
from tests.conftest import PROJECT_DIR, STACKS
from tests.delivery_fixtures import CATALOGUE, platform_refs, stack_settings
from tests.schemas import validate

MODELS = {m.name: m for m in CATALOGUE.models}


def settings_with(stack: str, **delivery) -> object:
    settings = stack_settings(stack)
    return settings.model_copy(update={"delivery": DeliverySettings.model_validate(delivery)})


def plans_with_fallback(stack: str, fallback_model: str, **delivery):
    settings = settings_with(stack, **delivery)
    fraud = MODELS["fraud-detection"].model_copy(update={"delivery": Delivery(fallback=fallback_model)})
    models = tuple(m for m in CATALOGUE.for_environment(settings.environment) if m.name != "fraud-detection")
    servings = serving_plans(settings, (fraud, *models))
    return delivery_plans(settings, servings, platform_refs(settings))


def problems_of(call) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        call()
    return [str(p) for p in caught.value.problems]


def test_environment_defaults_and_overrides():
    assert DeliverySettings().policy("prod") == CanaryPolicy(
        analysis=True,
        interval_seconds=10,
        threshold=3,
        step_weights=(1, 5, 25),
        approval=True,
        progress_deadline_seconds=1800,
        checks_per_step=3,
    )
    assert DeliverySettings().policy("dev").analysis is False
    tuned = DeliverySettings.model_validate({"canary": {"stepWeights": [2, 10], "approval": False}}).policy("prod")
    assert tuned.step_weights == (2, 10) and tuned.approval is False and tuned.interval_seconds == 10


def test_step_weights_must_increase_below_100():
    for weights in ([5, 1], [1, 100], [5, 5], [1, 1, 1, 5]):  # Flagger 1.44 stalls on a repeated weight
        with pytest.raises(ValueError, match="strictly increasing"):
            DeliverySettings.model_validate({"canary": {"stepWeights": weights}})


def test_a_tick_so_short_that_one_spike_reaches_the_threshold_is_refused():
    # 15 s windows (three 5 s scrapes): a spike stays in them for two 10 s ticks, so threshold 2 flaps.
    settings = settings_with("prod", canary={"threshold": 2})
    servings = serving_plans(settings, CATALOGUE.for_environment("prod"))
    (problem,) = problems_of(lambda: delivery_plans(settings, servings, platform_refs(settings)))
    assert problem == (
        "Pulumi.prod.yaml: mlops-platform:delivery.canary.threshold: one 5s spike stays in the 15s check window "
        "for 2 tick(s) of 10s, so it alone would reach 2 failed check(s) and roll back (fix: set intervalSeconds "
        "to at least 15, or raise delivery.canary.threshold to 3)"
    )
    # A 15 s tick keeps the spike in one window: threshold 2 is then enough. Without a Gateway too.
    fine = settings_with("prod", canary={"threshold": 2, "intervalSeconds": 15})
    delivery_plans(fine, serving_plans(fine, CATALOGUE.for_environment("prod")), platform_refs(fine))
    local = settings_with("local", canary={"intervalSeconds": 30, "analysis": True, "threshold": 2})
    delivery_plans(local, serving_plans(local, CATALOGUE.for_environment("local")), platform_refs(local))


def test_levels_too_close_for_their_checks_are_refused():
    settings = settings_with("prod", canary={"stepWeights": [1, 2, 25]})
    servings = serving_plans(settings, CATALOGUE.for_environment("prod"))
    problems = problems_of(lambda: delivery_plans(settings, servings, platform_refs(settings)))
    assert problems[0].startswith(
        "Pulumi.prod.yaml: mlops-platform:delivery.canary.stepWeights: levels [1, 2, 25] are too close to hold "
        "each for 3 checks (+1% steps give [1, 2, 3, 2, 3, 4, 25, 26, 27])"
    )
    assert DeliverySettings().policy("prod").traffic_steps() == (1, 2, 3, 5, 6, 7, 25, 26, 27)


def test_fallback_switch_adds_a_route_that_outranks_flaggers_and_removing_it_switches_back():
    on = plans_with_fallback("prod", "churn-prediction", fallbackActive=["fraud-detection"])["fraud-detection"]
    route, grant = fallback.fallback_route_manifest(on), fallback.reference_grant_manifest(on)
    assert route is not None and grant is not None
    validate(route, "1.33")
    validate(grant, "1.33")
    assert route["metadata"]["name"] != "fraud-detection"  # never Flagger's HTTPRoute
    assert route["spec"]["hostnames"] == [on.host]
    (rule,) = route["spec"]["rules"]
    # Longer than Flagger's PathPrefix "/": Gateway API precedence sends inference here.
    assert rule["matches"][0]["path"]["value"] == "/v2/models/fraud-detection"
    assert rule["filters"][0]["urlRewrite"]["path"]["replacePrefixMatch"] == "/v2/models/churn-prediction"
    assert rule["backendRefs"] == [{"name": "churn-prediction", "namespace": "ml-churn-prediction", "port": 8080}]
    assert grant["metadata"]["namespace"] == "ml-churn-prediction"
    assert grant["spec"]["from"][0]["namespace"] == on.namespace
    off = plans_with_fallback("prod", "churn-prediction")["fraud-detection"]
    assert off.fallback is not None  # still warm (deployed) ...
    assert fallback.fallback_route_manifest(off) is None  # ... but not routed to


def test_fallback_problems_are_reported_together():
    problems = problems_of(lambda: plans_with_fallback("prod", "support-assistant", fallbackActive=["nope"]))
    assert any("mlops-platform:delivery.fallbackActive: 'nope' is not served by this stack" in p for p in problems)
    assert any(
        p.startswith("models/fraud-detection.yaml: delivery.fallback: 'support-assistant' runs on vllm")
        for p in problems
    )
    own = problems_of(lambda: plans_with_fallback("prod", "fraud-detection"))
    assert own == [
        "models/fraud-detection.yaml: delivery.fallback: a model cannot be its own fallback (fix: name another catalogue model)"
    ]
    cold = problems_of(lambda: plans_with_fallback("prod", "ghost-model"))
    assert "is not served by stack 'prod', so it is not warm" in cold[0]


def test_switch_needs_a_fallback_and_a_gateway():
    settings = settings_with("prod", fallbackActive=["fraud-detection"])
    servings = serving_plans(settings, CATALOGUE.for_environment("prod"))
    (problem,) = problems_of(lambda: delivery_plans(settings, servings, platform_refs(settings)))
    assert "model 'fraud-detection' names no fallback" in problem
    local = problems_of(lambda: plans_with_fallback("local", "churn-prediction", fallbackActive=["fraud-detection"]))
    assert any("has no Gateway" in p for p in local)


def test_the_delivery_docs_timing_table_is_computed_from_each_stacks_config():
    from manifests.delivery.timing import timing_table
    from plan.strategy_rows import strategy_plans

    rows = []
    for stack in STACKS:
        settings = stack_settings(stack)
        for strategy, plan in strategy_plans(settings, CATALOGUE, platform_refs(settings), "churn-prediction"):
            rows.append((stack, strategy, plan))
    table = timing_table(rows)
    doc = (PROJECT_DIR / "docs" / "delivery.md").read_text(encoding="utf-8")
    assert table in doc, f"docs/delivery.md is out of date; paste:\n{table}"


def test_alert_webhook_url_must_be_secret_and_stays_an_output(tmp_path):
    import pulumi

    from tests.test_stack_settings import LOCAL, problems, read

    (problem,) = problems(tmp_path, "local", LOCAL | {"mlops-platform:alertWebhookUrl": "https://hooks.example/x"})
    assert problem.startswith("Pulumi.local.yaml: mlops-platform:alertWebhookUrl: is stored in plain text")
    assert "hooks.example" not in problem
    loaded = read(tmp_path, "local", LOCAL | {"mlops-platform:alertWebhookUrl": {"secure": "v1:abc"}})
    assert isinstance(loaded.alert_webhook_url, pulumi.Output)


def test_load_tester_outside_the_traffic_namespaces_is_refused():
    settings = stack_settings("prod")
    platform = replace(platform_refs(settings), loadtester_url="http://flagger-loadtester.flagger/")
    servings = serving_plans(settings, CATALOGUE.for_environment("prod"))
    (problem,) = problems_of(lambda: delivery_plans(settings, servings, platform))
    assert problem == (
        "Pulumi.prod.yaml: mlops-platform:trafficNamespaces: the canary load tester runs in namespace 'flagger', "
        "which the model NetworkPolicies do not admit (fix: add flagger to trafficNamespaces)"
    )


def test_vllm_objective_below_its_first_latency_bucket_is_refused():
    settings = stack_settings("prod")
    models = [
        m.model_copy(update={"slo": m.slo.model_copy(update={"latency_p99_ms": 200})})
        if m.name == "support-assistant"
        else m
        for m in CATALOGUE.for_environment("prod")
    ]
    servings = serving_plans(settings, tuple(models))
    (problem,) = problems_of(lambda: delivery_plans(settings, servings, platform_refs(settings)))
    assert problem.startswith("models/support-assistant.yaml: slo.latencyP99Ms: 200 ms is below vLLM's first")
