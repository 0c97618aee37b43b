"""The canary analysis checks: one MetricTemplate per check, and the Canary's references to them.

Names are never Flagger's builtin `request-success-rate`/`request-duration`: with those names Flagger
runs its own observer whatever the template says (facts-delivery.md section 3), and that observer
queries series none of our runtimes export with prometheus-operator's labels.
"""

from __future__ import annotations

from dataclasses import dataclass

from manifests.delivery import quality_queries as QQ
from manifests.delivery.queries import Scope, queries_for
from plan.delivery import DeliveryPlan
from plan.quality_signals import canary_quality_checks

FLAGGER_API = "flagger.app/v1beta1"
BUILTIN_CHECKS = ("request-success-rate", "request-duration")
# Flagger substitutes the metric's own interval here (usage/metrics.md template variables).
INTERVAL_VARIABLE = "{{ interval }}"


@dataclass(frozen=True)
class Check:
    name: str  # the MetricTemplate's name and the Canary metric's name
    query: str
    min: float | None = None
    max: float | None = None


def checks(plan: DeliveryPlan) -> tuple[Check, ...]:
    """Success rate and p99 latency of the canary pods (thresholds from the catalogue's `slo`), then
    the model-quality checks its entry runs where the model really exports them."""
    queries = queries_for(plan.serving.runtime.name, plan.name)
    scope = Scope.flagger_canary()
    slo = plan.serving.model.slo
    return (
        Check(
            "success-rate-percent",
            queries.success_rate_percent(scope, INTERVAL_VARIABLE),
            min=round(slo.min_success_rate * 100, 4),
        ),
        Check("latency-p99-ms", queries.latency_ms(0.99, scope, INTERVAL_VARIABLE), max=float(slo.latency_p99_ms)),
        *quality_checks(plan),
    )


def quality_checks(plan: DeliveryPlan) -> tuple[Check, ...]:
    """The entry's canary quality checks (plan/quality_signals.py keeps them to series the model
    exports), thresholds from the catalogue's `quality`; selection explained in quality_queries.py."""
    quality, scope, model = plan.serving.model.quality, Scope.flagger_canary(), plan.name
    by_check = {
        "confidence": Check(
            "prediction-confidence", QQ.mean_confidence(model, scope, INTERVAL_VARIABLE), min=quality.min_confidence
        ),
        "drift": Check("input-drift", QQ.canary_drift(model, scope), max=quality.max_drift),
        "accuracy": Check("accuracy", QQ.canary_accuracy(model, scope), min=quality.min_accuracy),
    }
    return tuple(by_check[check] for check in canary_quality_checks(plan.serving.model))


def template_name(plan: DeliveryPlan, check: Check) -> str:
    return f"{plan.name}-{check.name}"


def metric_template_manifests(plan: DeliveryPlan) -> list[dict]:
    return [
        {
            "apiVersion": FLAGGER_API,
            "kind": "MetricTemplate",
            "metadata": {**plan.serving.metadata(template_name(plan, check))},
            "spec": {
                "provider": {"type": "prometheus", "address": plan.platform.prometheus_url},
                "query": check.query,
            },
        }
        for check in checks(plan)
    ]


def metric_interval(plan: DeliveryPlan) -> str:
    """The rate window: one analysis tick, and never under a minute (at least two 30s scrapes)."""
    return f"{max(60, plan.policy.interval_seconds)}s"


def canary_metrics(plan: DeliveryPlan) -> list[dict]:
    metrics = []
    for check in checks(plan):
        bounds = {k: v for k, v in (("min", check.min), ("max", check.max)) if v is not None}
        metrics.append(
            {
                "name": check.name,
                "templateRef": {"name": template_name(plan, check), "namespace": plan.namespace},
                "thresholdRange": bounds,
                "interval": metric_interval(plan),
            }
        )
    return metrics
