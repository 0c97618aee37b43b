"""Rollout strategies per model and environment: each renders a strictly valid Canary on every stack
that allows it, with PromQL that parses and names only its runtime's series; refused combinations give
one clear problem; strategy keys are refused under another strategy with a did-you-mean."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from catalogue.schema import ModelSpec
from core.problems import ConfigError
from core.spec import problems_from_validation_error
from manifests.delivery import analysis, canary, webhooks
from plan.delivery import delivery_plans
from plan.serving import select_models, serving_plans
from plan.strategy_rows import strategy_plans, with_strategy
from tests.conftest import STACKS
from tests.delivery_fixtures import CATALOGUE, QUALITY, plans_for, platform_refs, stack_settings
from tests.promql import parse, unknown_names
from tests.schemas import validate

MODELS = {m.name: m for m in CATALOGUE.models}


def rows(stack: str, model: str = "churn-prediction"):
    settings = stack_settings(stack)
    return dict(strategy_plans(settings, CATALOGUE, platform_refs(settings), model))


def plans_with(stack: str, model: ModelSpec):
    settings = stack_settings(stack)
    models = tuple(model if m.name == model.name else m for m in select_models(settings, CATALOGUE))
    return delivery_plans(settings, serving_plans(settings, models), platform_refs(settings))


def problems(stack: str, model: ModelSpec) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        plans_with(stack, model)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("stack", STACKS)
def test_each_allowed_strategy_renders_a_valid_canary_with_clean_promql(stack):
    version = stack_settings(stack).kubernetes_version
    allowed = {s: p for s, p in rows(stack).items() if not isinstance(p, str)}
    assert {"canary", "blueGreen"} <= set(allowed)
    for strategy, plan in allowed.items():
        manifest = canary.canary_manifest(plan)
        validate(manifest, version)
        for template in analysis.metric_template_manifests(plan):
            validate(template, version)
            parse(template["spec"]["query"])
            assert unknown_names(template["spec"]["query"], [plan.metrics, QUALITY]) == [], (strategy, template)


def test_each_strategy_sets_the_fields_flagger_reads_for_it():
    plans = rows("prod")
    fields = {s: canary.canary_manifest(p)["spec"]["analysis"] for s, p in plans.items()}
    assert fields["canary"]["stepWeights"] == [1, 2, 3, 5, 6, 7, 25, 26, 27] and "iterations" not in fields["canary"]
    assert fields["blueGreen"]["iterations"] == 10 and not {"stepWeights", "match", "mirror"} & set(fields["blueGreen"])
    assert fields["abTest"]["iterations"] == 20 and "stepWeights" not in fields["abTest"]
    assert fields["abTest"]["match"] == [{"headers": {"x-canary-segment": {"exact": "beta"}}}]
    assert fields["mirror"]["mirror"] is True and fields["mirror"]["iterations"] == 10
    # sessionAffinity is never combined with match: Flagger would then send every user to the candidate.
    assert all("sessionAffinity" not in f for f in fields.values())


def test_blue_green_always_waits_for_a_person_and_ab_compares_with_the_primary():
    settings = stack_settings("prod").model_copy()
    plans = rows("prod")
    gate = {h["name"]: h for h in webhooks.webhooks(plans["blueGreen"])}
    assert gate["approval-gate"]["type"] == "confirm-promotion"
    assert plans["blueGreen"].strategy.approval and settings.environment == "prod"
    names = [c.name for c in analysis.checks(plans["abTest"])]
    assert names[0] == "request-count" and {"success-rate-vs-primary", "latency-p99-vs-primary"} <= set(names)
    comparison = next(c for c in analysis.checks(plans["abTest"]) if c.name == "success-rate-vs-primary")
    assert "-primary-" in comparison.query and comparison.min == -1.0  # churn: 99% objective, 1 point budget
    assert "success-rate-vs-primary" not in [c.name for c in analysis.checks(plans["canary"])]


def test_strategies_the_traffic_layer_cannot_run_are_refused_naming_a_layer_that_can():
    refused = rows("local")
    assert refused["abTest"].startswith("abTest needs routing by request header")
    assert "kubernetes, no Gateway" in refused["abTest"]
    (problem,) = problems("local", with_strategy(MODELS["churn-prediction"], "local", "mirror"))
    assert problem.startswith(
        "models/churn-prediction.yaml: delivery.strategy.local.type: mirror needs a RequestMirror"
    )
    assert "Flagger gatewayapi; elsewhere Istio" in problem
    # canary without a Gateway runs as blue/green iterations, as before
    assert rows("local")["canary"].strategy.kind == "blueGreen"


def test_a_cookie_segment_is_refused_on_gkes_gateway():
    spec = {"type": "abTest", "match": [{"cookie": "segment", "value": "beta"}]}
    model = MODELS["churn-prediction"].model_validate(
        {**MODELS["churn-prediction"].model_dump(by_alias=True), "delivery": {"strategy": {"prod": spec}}}
    )
    (problem,) = problems("prod", model)
    assert "delivery.strategy.prod.match: a cookie segment needs a RegularExpression header match" in problem
    assert "Istio, NGINX, Contour" in problem


def test_blue_green_without_a_load_test_is_refused():
    (problem,) = problems("prod", with_strategy(MODELS["image-classifier"], "prod", "blueGreen"))
    assert problem.startswith("models/image-classifier.yaml: delivery.strategy.prod.type: blueGreen analyses")
    assert "set delivery.loadTest" in problem


@pytest.mark.parametrize(
    ("strategy", "key", "value", "expected"),
    [
        (
            "canary",
            "match",
            [{"header": "x-s", "value": "b"}],
            "belongs to abTest, not to canary (fix: did you mean type: abTest?",
        ),
        ("blueGreen", "stepWeights", [1, 5], "belongs to canary, not to blueGreen (fix: did you mean iterations?"),
        (
            "canary",
            "iterations",
            5,
            "belongs to blueGreen / abTest / mirror, not to canary (fix: did you mean stepWeights?",
        ),
        ("mirror", "match", [{"header": "x-s", "value": "b"}], "belongs to abTest, not to mirror"),
    ],
)
def test_a_strategy_key_under_another_strategy_is_refused_with_a_did_you_mean(strategy, key, value, expected):
    raw = MODELS["churn-prediction"].model_dump(by_alias=True, exclude_none=True)
    raw["delivery"]["strategy"] = {"prod": {"type": strategy, key: value}}
    with pytest.raises(ValidationError) as caught:
        ModelSpec.model_validate(raw)
    (problem,) = problems_from_validation_error(caught.value, "models/churn-prediction.yaml", ModelSpec)
    assert str(problem).startswith(f"models/churn-prediction.yaml: delivery.strategy.prod.{key}: {expected}")


def test_an_ab_test_needs_its_segment():
    raw = MODELS["churn-prediction"].model_dump(by_alias=True, exclude_none=True)
    raw["delivery"]["strategy"] = {"staging": {"type": "abTest"}}
    with pytest.raises(ValidationError) as caught:
        ModelSpec.model_validate(raw)
    (problem,) = problems_from_validation_error(caught.value, "m.yaml", ModelSpec)
    assert problem.field == "delivery.strategy.staging.match" and "needs the segment" in problem.message


def test_a_reinforcement_learning_agent_without_blue_green_in_prod_gets_a_warning():
    agent = MODELS["churn-prediction"].model_copy(
        update={
            "delivery": MODELS["churn-prediction"].delivery.model_copy(update={"model_kind": "reinforcementLearning"})
        }
    )
    (warning,) = [w for w in plans_with("prod", agent)["churn-prediction"].warnings if "reinforcement" in w]
    assert "use type: blueGreen in prod" in warning
    blue_green = with_strategy(agent, "prod", "blueGreen")
    assert not any("reinforcement" in w for w in plans_with("prod", blue_green)["churn-prediction"].warnings)
    assert not any("reinforcement" in w for w in plans_with("staging", agent)["churn-prediction"].warnings)


def test_the_example_catalogue_runs_an_ab_test_in_staging_only():
    staging = plans_for("staging")["fraud-detection"]
    spec = canary.canary_manifest(staging)["spec"]["analysis"]
    assert spec["match"] == [{"headers": {"x-merchant-segment": {"exact": "beta"}}}] and spec["iterations"] == 30
    assert "stepWeights" in canary.canary_manifest(plans_for("prod")["fraud-detection"])["spec"]["analysis"]


def test_the_example_catalogue_runs_blue_green_for_its_llm_in_staging():
    staging = canary.canary_manifest(plans_for("staging")["support-assistant"])["spec"]["analysis"]
    assert staging["iterations"] == 10 and not {"stepWeights", "match", "mirror"} & set(staging)
    assert "approval-gate" in {h["name"] for h in staging["webhooks"]}
