"""Real stack settings, catalogue and platform references, turned into DeliveryPlans for tests."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import pulumi

from catalogue.loader import load_catalogue
from facts import delivery_metrics as D
from facts import quality_metrics as Q
from facts.runtime_metrics import FLAGGER, KUBE_STATE_METRICS, Metric, MetricsTable
from ops.offline.mocks import ProgramMocks
from ops.stack_config import load_stack_config
from plan.delivery import DeliveryPlan, delivery_plans

# The one place tests take the add-ons' references from (swap with the add-ons' own function on merge).
from plan.platform import PlatformRefs, platform_refs
from plan.serving import select_models, serving_plans
from settings.pulumi_config import read_stack_settings
from settings.stack import PROJECT, StackSettings
from tests.conftest import PROJECT_DIR

CATALOGUE = load_catalogue(PROJECT_DIR / "models")
QUALITY = MetricsTable(
    exporter="quality",
    port=None,
    path="/metrics",
    source="facts/quality_metrics.py",
    metrics=tuple(Metric(s.name, s.type, s.labels) for s in Q.QUALITY_SERIES),
)
# The platform's own delivery figures (facts/delivery_metrics.py), pushed by `python -m ops metrics --push`.
DELIVERY = MetricsTable(
    exporter="delivery-metrics",
    port=None,
    path="/metrics",
    source="facts/delivery_metrics.py",
    metrics=tuple(Metric(s.name, s.type, s.labels) for s in D.DELIVERY_SERIES),
)
SHARED_TABLES = (FLAGGER, KUBE_STATE_METRICS, DELIVERY)
__all__ = [
    "CATALOGUE",
    "DELIVERY",
    "QUALITY",
    "SHARED_TABLES",
    "plans_for",
    "platform_refs",
    "stack_settings",
    "with_keda",
]


@cache
def stack_settings(stack: str) -> StackSettings:
    config = load_stack_config(PROJECT_DIR, stack)
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    pulumi.runtime.set_mocks(ProgramMocks(config, preview=True), project=PROJECT, stack=stack, preview=True)
    return read_stack_settings().stack


def plans_for(
    stack: str, platform: PlatformRefs | None = None, settings: StackSettings | None = None, **kwargs
) -> dict[str, DeliveryPlan]:
    settings = settings or stack_settings(stack)
    servings = serving_plans(settings, select_models(settings, CATALOGUE))
    return delivery_plans(settings, servings, platform or platform_refs(settings), **kwargs)


def with_keda(plans: dict[str, DeliveryPlan], keda: bool) -> dict[str, DeliveryPlan]:
    """The plans as a stack with (or without) KEDA would have them: the serving plans' one scaling decision."""
    return {
        name: replace(plan, serving=replace(plan.serving, scaling=replace(plan.serving.scaling, keda=keda)))
        for name, plan in plans.items()
    }


WEBHOOK_URL = "https://hooks.example.com/services/T000/B000/XXXX"


def all_plans(stack: str, keda: bool = True, alerts: bool = True):
    """Every model's plan on a stack, with or without KEDA and alerts (the delivery manifest tests' input)."""
    return with_keda(plans_for(stack, alerts=alerts), keda)
