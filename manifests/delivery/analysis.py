"""The canary analysis checks: one MetricTemplate per check, and the Canary's references to them.

Names are never Flagger's builtin `request-success-rate`/`request-duration`: with those names Flagger
runs its own observer whatever the template says (facts-delivery.md section 3), and that observer
queries series none of our runtimes export with prometheus-operator's labels.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from manifests.delivery import quality_queries as QQ
from manifests.delivery.queries import Scope, queries_for
from manifests.delivery.traffic_guard import GUARD_CHECK, gated, min_requests
from plan.delivery import DeliveryPlan
from plan.quality_signals import canary_quality_checks

FLAGGER_API = "flagger.app/v1beta1"
BUILTIN_CHECKS = ("request-success-rate", "request-duration")
# Flagger substitutes the metric's own interval here (usage/metrics.md template variables).
INTERVAL_VARIABLE = "{{ interval }}"
# abTest: the candidate's p99 may be at most this much slower than the primary's on the same traffic mix.
AB_MAX_LATENCY_RATIO = 1.2


@dataclass(frozen=True)
class Check:
    name: str  # the MetricTemplate's name and the Canary metric's name
    query: str
    min: float | None = None
    max: float | None = None


def checks(plan: DeliveryPlan) -> tuple[Check, ...]:
    """The traffic guard first (traffic_guard.py), then success rate and p99 latency of the canary pods
    (thresholds from the catalogue's `slo`), the model-quality checks its entry runs where the model
    really exports them, and for an A/B test the comparison with the primary; each gated on the guard."""
    queries = queries_for(plan.serving.runtime.name, plan.name)
    scope = Scope.flagger_canary()
    slo = plan.serving.model.slo
    count, minimum = queries.request_count(scope, INTERVAL_VARIABLE), min_requests(plan)
    judged = (
        Check(
            "success-rate-percent",
            queries.success_rate_percent(scope, INTERVAL_VARIABLE),
            min=round(slo.min_success_rate * 100, 4),
        ),
        Check("latency-p99-ms", queries.latency_ms(0.99, scope, INTERVAL_VARIABLE), max=float(slo.latency_p99_ms)),
        *quality_checks(plan),
    )
    guarded = [replace(check, query=gated(check.query, count, minimum)) for check in judged]
    if plan.strategy.kind == "abTest":
        guarded += comparison_checks(plan, minimum)
    return (Check(GUARD_CHECK, count, min=float(minimum)), *guarded)


def comparison_checks(plan: DeliveryPlan, minimum: int) -> list[Check]:
    """A/B: the candidate against the primary over the same window, each side with enough requests.
    The success rate may trail the primary's by at most the error budget, the p99 be at most
    AB_MAX_LATENCY_RATIO times the primary's."""
    queries = queries_for(plan.serving.runtime.name, plan.name)
    canary, primary, window = Scope.flagger_canary(), Scope.flagger_primary(), INTERVAL_VARIABLE
    both = f"({queries.request_count(canary, window)} >= {minimum}) and on() ({queries.request_count(primary, window)} >= {minimum})"
    budget = round((1 - plan.serving.model.slo.min_success_rate) * 100, 4)
    success = f"({queries.success_rate_percent(canary, window)}) - ({queries.success_rate_percent(primary, window)})"
    latency = f"({queries.latency_ms(0.99, canary, window)}) / ({queries.latency_ms(0.99, primary, window)})"
    return [
        Check("success-rate-vs-primary", f"({success}) and on() ({both})", min=-budget),
        Check("latency-p99-vs-primary", f"({latency}) and on() ({both})", max=AB_MAX_LATENCY_RATIO),
    ]


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
    return tuple(by_check[check] for check in canary_quality_checks(plan.serving))


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
    """The query window: three scrapes and at least one tick (plan/delivery.py window_seconds)."""
    return f"{plan.window_seconds}s"


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
