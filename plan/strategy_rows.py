"""One model's delivery plan under every strategy on one stack, or why the stack refuses it: the rows of
the timing table in docs/delivery.md and of the simulator benchmark."""

from __future__ import annotations

from catalogue.loader import Catalogue
from catalogue.schema import ModelSpec
from catalogue.strategy import SegmentMatch, StrategySpec
from core.problems import ConfigError
from facts.flagger_analysis import STRATEGIES
from plan.delivery import DeliveryPlan, delivery_plans
from plan.platform import PlatformRefs
from plan.serving import select_models, serving_plans
from settings.stack import StackSettings

# The A/B segment of the example rows: a header the edge sets for opted-in users.
EXAMPLE_SEGMENT = (SegmentMatch(header="x-canary-segment", value="beta"),)


def with_strategy(model: ModelSpec, environment: str, strategy: str) -> ModelSpec:
    spec = StrategySpec(type=strategy, match=EXAMPLE_SEGMENT if strategy == "abTest" else None)
    delivery = model.delivery.model_copy(update={"strategy": {**model.delivery.strategy, environment: spec}})
    return model.model_copy(update={"delivery": delivery})


def strategy_plans(
    settings: StackSettings, catalogue: Catalogue, platform: PlatformRefs, model: str
) -> list[tuple[str, DeliveryPlan | str]]:
    """(strategy, the model's plan under it, or the first problem the stack reports) per strategy."""
    rows: list[tuple[str, DeliveryPlan | str]] = []
    models = select_models(settings, catalogue)
    for strategy in STRATEGIES:
        variant = tuple(with_strategy(m, settings.environment, strategy) if m.name == model else m for m in models)
        try:
            plans = delivery_plans(settings, serving_plans(settings, variant), platform)
        except ConfigError as refused:
            rows.append((strategy, refused.problems[0].message))
            continue
        rows.append((strategy, plans[model]))
    return rows
