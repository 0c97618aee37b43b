"""From validated settings and catalogue to one ServingPlan per model this stack serves.

Cross-file checks live here (a model listed in the stack but absent from the catalogue, a model that
does not declare this environment), so they are reported with every other problem before anything
is registered with the engine.
"""
from __future__ import annotations

from catalogue.loader import Catalogue
from catalogue.schema import ModelSpec
from components.runtimes import runtime_for
from components.serving_manifests import Placement, ServingPlan
from settings.errors import ProblemCollector
from settings.stack import StackSettings, config_key

TOKEN_SECRET_NAME = "mlflow-registry-token"


def select_models(settings: StackSettings, catalogue: Catalogue) -> tuple[ModelSpec, ...]:
    problems = ProblemCollector()
    source = f"Pulumi.{settings.stack}.yaml"
    if not settings.models:
        return catalogue.for_environment(settings.environment)
    by_name = {m.name: m for m in catalogue.models}
    chosen = []
    for name in settings.models:
        model = by_name.get(name)
        if model is None:
            problems.add(source, config_key("models"), f"model {name!r} is not in the catalogue ({settings.models_dir}/)",
                         f"add {settings.models_dir}/{name}.yaml or remove it; known models: {', '.join(sorted(by_name))}")
        elif settings.environment not in model.environments:
            problems.add(source, config_key("models"), f"model {name!r} does not declare environment {settings.environment!r}",
                         f"add environments.{settings.environment} to {settings.models_dir}/{name}.yaml")
        else:
            chosen.append(model)
    problems.raise_if_any()
    return tuple(sorted(chosen, key=lambda m: m.name))


def serving_plan(settings: StackSettings, model: ModelSpec, placement: Placement | None = None,
                 service_account_annotations: dict[str, str] | None = None) -> ServingPlan:
    return ServingPlan(
        model=model,
        environment=settings.environment,
        namespace=settings.namespace_for(model.name),
        runtime=runtime_for(model.serving.runtime),
        tracking_uri=settings.pods_tracking_uri,
        kubernetes_minor=settings.kubernetes_minor,
        monitoring_namespace=settings.monitoring_namespace,
        traffic_namespaces=settings.traffic_namespaces,
        traffic_source_cidrs=settings.traffic_source_cidrs,
        pod_security_level=settings.pod_security_level,
        token_secret=TOKEN_SECRET_NAME if settings.has_mlflow_token else None,
        placement=placement or Placement(),
        service_account_annotations=service_account_annotations or {},
    )
