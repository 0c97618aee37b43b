"""What the program decides before it registers anything: one stack's settings, its models and every plan.

Pure data, computed once per run by `plan_stack`: the program registers from it (program/stack.py) and a
pull request's offline preview fingerprints it per model to find the models a change touches
(program/preview_scope.py). Every check here raises ConfigError before any resource exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalogue.loader import Catalogue
from catalogue.schema import ModelSpec
from guardrails.context import guard_context
from guardrails.rule import GuardContext
from plan.batch import BatchPlan, batch_plans
from plan.delivery import DeliveryPlan, delivery_plans
from plan.feature_store import FeatureStorePlan, feature_store_plan
from plan.gitops import GitopsPlan, gitops_plan
from plan.mlflow_server import MlflowServerPlan
from plan.platform import PlatformRefs, platform_refs
from plan.serving import ServingPlan, select_models, serving_plans
from program.own_registry import registered_models
from settings.pulumi_config import LoadedSettings


@dataclass(frozen=True)
class StackPlan:
    loaded: LoadedSettings
    catalogue: Catalogue
    models: tuple[ModelSpec, ...]  # the models this stack serves, in catalogue order
    server_plan: MlflowServerPlan | None  # the stack's own MLflow server, if it runs one
    servings: dict[str, ServingPlan]
    batches: dict[str, tuple[BatchPlan, ...]]
    guard: GuardContext
    gitops: GitopsPlan
    features: FeatureStorePlan | None
    refs: PlatformRefs
    deliveries: dict[str, DeliveryPlan]

    def selector(self, model: ModelSpec) -> dict:
        settings = self.loaded.stack
        pin = settings.model_pins.get(model.name)  # a rollback's pin overrides the catalogue's selector
        return {"version": pin} if pin is not None else model.environments[settings.environment].selector()


def plan_stack(loaded: LoadedSettings, catalogue: Catalogue) -> StackPlan:
    """Every plan of one stack from validated settings and catalogue; raises ConfigError on the first
    step whose problems it collected (each step lists all of its own)."""
    settings = loaded.stack
    models = select_models(settings, catalogue)
    models, server_plan = registered_models(loaded, models)  # on its own server: those it has a version of
    servings = serving_plans(settings, models)  # a GPU model no pool of this stack can take stops the run here
    # A gs:// job on a local stack (or pvc:// on GKE), or a GKE stack with jobs but no batch pool stops the run here.
    batches = batch_plans(settings, servings)
    guard = guard_context(settings)  # an override naming no rule stops the run here, before any resource
    gitops = gitops_plan(settings, models, catalogue)  # so does a gitops team the catalogue does not know
    features = feature_store_plan(settings, models)  # so does a model reading features on a stack without them
    refs = platform_refs(settings)
    # A fallback that is not warm, or a canary interval shorter than a route update, stops the run here.
    deliveries = delivery_plans(settings, servings, refs, alerts=loaded.alert_webhook_url is not None)
    return StackPlan(
        loaded=loaded,
        catalogue=catalogue,
        models=models,
        server_plan=server_plan,
        servings=servings,
        batches=batches,
        guard=guard,
        gitops=gitops,
        features=features,
        refs=refs,
        deliveries=deliveries,
    )
