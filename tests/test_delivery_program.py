"""The whole program under mocks, per stack: one delivery component per served model, registered after
its serving stack, with Flagger and KEDA owning what they own (no Pulumi Service `<name>`, no HPA)."""

from __future__ import annotations

import pytest

from facts.runtime_metrics import RUNTIME_METRICS
from ops.engine import unwrap
from plan.quality_signals import canary_quality_checks
from tests.conftest import STACKS
from tests.delivery_fixtures import CATALOGUE, QUALITY, SHARED_TABLES
from tests.promql import unknown_names
from tests.test_serving_manifests import make_plan


def objects(run, kind: str) -> list[dict]:
    return [unwrap(r.inputs) for r in run.kubernetes_objects() if r.inputs.get("kind") == kind]


@pytest.mark.parametrize("stack", STACKS)
def test_every_served_model_gets_its_delivery_objects(stack_runs, stack):
    run = stack_runs[stack]
    served = sorted(run.outputs["models"])
    components = run.by_type("mlops:delivery:ModelDelivery")
    assert sorted(c.name for c in components) == sorted(f"{m}-delivery" for m in served)
    for kind in ("Canary", "PodMonitor", "PrometheusRule", "ScaledObject"):
        assert sorted(o["metadata"]["name"] for o in objects(run, kind)) == served, kind
    # The traffic guard, success rate and p99 latency for every model, its quality checks where it exports
    # them, and an A/B test's two comparisons with the primary (fraud-detection in staging).
    quality = {
        m.name: len(canary_quality_checks(make_plan(model=m, environment=next(iter(m.environments)))))
        for m in CATALOGUE.models
    }
    ab = {m.name: 2 * (m.delivery.strategy_for(stack).type == "abTest") for m in CATALOGUE.models}
    assert len(objects(run, "MetricTemplate")) == sum(3 + quality[m] + ab[m] for m in served)
    if stack in ("prod", "staging"):  # ModelDelivery logs the plan's warnings: image-classifier has no load test
        assert any("image-classifier" in w and "relies on live traffic alone" in w for w in run.warnings)
    dashboards = [
        o
        for o in objects(run, "ConfigMap")
        if o["metadata"]["labels"].get("grafana_dashboard") == "1" and "mlops.platform/model" in o["metadata"]["labels"]
    ]  # one per model; the stack's delivery-metrics dashboard belongs to no model
    assert len(dashboards) == len(served)
    # Flagger owns the Service <name> and KEDA the scaling: Pulumi registers neither.
    assert not [o for o in objects(run, "Service") if o["metadata"]["name"] in served]
    assert objects(run, "HorizontalPodAutoscaler") == []
    for deployment in objects(run, "Deployment"):  # the Canary targets: their replicas are Flagger's and KEDA's
        if deployment["metadata"]["name"] in served:
            assert "replicas" not in deployment["spec"]


@pytest.mark.parametrize("stack", STACKS)
def test_registered_queries_name_only_exported_series(stack_runs, stack):
    run = stack_runs[stack]
    deployments = {o["metadata"]["name"]: o for o in objects(run, "Deployment")}
    for template in objects(run, "MetricTemplate"):
        model = template["metadata"]["labels"]["mlops.platform/model"]
        image = deployments[model]["spec"]["template"]["spec"]["containers"][0]["image"]
        runtime = next(name for name in RUNTIME_METRICS if name in image)
        assert unknown_names(template["spec"]["query"], [RUNTIME_METRICS[runtime], QUALITY]) == []
    for rule in objects(run, "PrometheusRule"):
        model = rule["metadata"]["labels"]["mlops.platform/model"]
        image = deployments[model]["spec"]["template"]["spec"]["containers"][0]["image"]
        runtime = next(name for name in RUNTIME_METRICS if name in image)
        for alert in rule["spec"]["groups"][0]["rules"]:
            assert unknown_names(alert["expr"], [RUNTIME_METRICS[runtime], *SHARED_TABLES, QUALITY]) == []


def test_canary_is_registered_after_its_target_and_templates(stack_runs):
    run = stack_runs["prod"]
    by_urn = {r.urn: r for r in run.resources}
    for canary in [r for r in run.resources if r.inputs.get("kind") == "Canary"]:
        depends = {by_urn[u].name for u in canary.options.get("dependencies", []) if u in by_urn}
        assert any(name.endswith("-success-rate-percent") for name in depends), depends
        model = canary.inputs["metadata"]["name"]
        assert f"{model}-deployment" in depends  # the target Deployment, through targetRef.name


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_stack_passes_each_models_quality_series_to_its_alerts(stack_runs, stack):
    """Each serving plan's quality_series reaches its alerts: churn-prediction (drift from the monitor, no labels source)
    gets the drift alert and no accuracy alert; Triton and vLLM models get neither."""
    rules = {
        r["metadata"]["name"]: {a["alert"] for a in r["spec"]["groups"][0]["rules"]}
        for r in objects(stack_runs[stack], "PrometheusRule")
    }
    assert "ModelDriftHigh" in rules["churn-prediction"]
    assert not {"ModelAccuracyLow", "ModelAccuracyDropped"} & rules["churn-prediction"]
    gpu_models = [name for name in ("image-classifier", "support-assistant") if name in rules]
    assert gpu_models or stack != "prod"  # prod serves both
    for name in gpu_models:
        assert not {"ModelDriftHigh", "ModelAccuracyLow"} & rules[name]
