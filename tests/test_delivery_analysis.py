"""The Canary's analysis checks and their thresholds, traced from the catalogue: the SLO's, and the
quality checks only where the model exports the series."""

from __future__ import annotations

from dataclasses import replace

from facts import quality_metrics as Q
from manifests.delivery import analysis, canary, monitoring
from manifests.delivery.queries import Scope
from tests.delivery_fixtures import all_plans


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
