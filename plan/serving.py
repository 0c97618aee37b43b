"""From validated settings and catalogue to one ServingPlan per model this stack serves.

Cross-file checks live here (a model listed in the stack but absent from the catalogue, a model that
does not declare this environment, a GPU model no GPU pool of the stack can take), so they are
reported with every other problem before anything is registered with the engine.
"""

from __future__ import annotations

from dataclasses import replace

from catalogue.loader import Catalogue
from catalogue.schema import ModelSpec
from core.problems import ConfigError, Problem, ProblemCollector
from facts.quality_metrics import Series
from facts.runtimes import RuntimePreset, runtime_for
from plan.feature_store import feature_env
from plan.gpu_placement import GpuRequest, PlacementError, place_gpu_workload
from plan.mlflow_route import mlflow_route
from plan.pool_facts import pool_scheduling_facts
from plan.quality_signals import quality_check_problems, quality_signals
from plan.registry_credentials import pod_credentials
from plan.serving_plan import Placement, Scaling, ServingPlan
from settings.stack import StackSettings, config_key


def select_models(settings: StackSettings, catalogue: Catalogue) -> tuple[ModelSpec, ...]:
    models = _listed_models(settings, catalogue)
    route = mlflow_route(settings)
    if route is None:
        return models
    # A model is served at <name>.<hostnameSuffix>: one named like the server's host would never get a request.
    clashing = [m for m in models if f"{m.name}.{settings.addons.traffic.hostname_suffix}" == route.hostname]
    if clashing:
        raise ConfigError(
            [
                Problem(
                    f"{settings.models_dir}/{m.name}.yaml",
                    "name",
                    f"the model would be served at {route.hostname}, the stack's own MLflow server's host",
                    "rename the model, or leave it out of this stack's `models`",
                )
                for m in clashing
            ]
        )
    return models


def _listed_models(settings: StackSettings, catalogue: Catalogue) -> tuple[ModelSpec, ...]:
    problems = ProblemCollector()
    source = f"Pulumi.{settings.stack}.yaml"
    if not settings.models:
        return catalogue.for_environment(settings.environment)
    by_name = {m.name: m for m in catalogue.models}
    chosen = []
    for name in settings.models:
        model = by_name.get(name)
        if model is None:
            problems.add(
                source,
                config_key("models"),
                f"model {name!r} is not in the catalogue ({settings.models_dir}/)",
                f"add {settings.models_dir}/{name}.yaml or remove it; known models: {', '.join(sorted(by_name))}",
            )
        elif settings.environment not in model.environments:
            problems.add(
                source,
                config_key("models"),
                f"model {name!r} does not declare environment {settings.environment!r}",
                f"add environments.{settings.environment} to {settings.models_dir}/{name}.yaml",
            )
        else:
            chosen.append(model)
    problems.raise_if_any()
    return tuple(sorted(chosen, key=lambda m: m.name))


def gpu_request(model: ModelSpec) -> GpuRequest:
    gpu = model.serving.gpu
    if gpu is None:
        raise ValueError(f"{model.name}: runtime {model.serving.runtime} has no GPU request")
    return GpuRequest(
        model=model.name,
        accelerator=gpu.accelerator,
        gpus=gpu.count,
        spot=gpu.spot,
        sharing_acceptable=gpu.sharing_acceptable,
        mig_partition_size=gpu.mig_partition_size,
    )


def placement_for(settings: StackSettings, model: ModelSpec) -> Placement | list[Problem]:
    """Where the model's pods run on this stack: nowhere in particular for CPU runtimes; for GPU
    runtimes the stack's GPU pool that fits the entry's serving.gpu, or the problems saying why none does."""
    if not runtime_for(model.serving.runtime).gpu:
        return Placement()
    source, field = f"{settings.models_dir}/{model.name}.yaml", "serving.gpu"
    request = gpu_request(model)  # a GPU runtime's entry always names its GPU (catalogue/serving_spec.py)
    if not settings.gpu_node_pools:
        return [
            Problem(
                source,
                field,
                f"model '{model.name}' runs on {model.serving.runtime} with GPUs, but stack '{settings.stack}' has no GPU "
                f"node pools (cluster mode {settings.cluster.mode})",
                f"remove environments.{settings.environment} from {source}, or deploy it with a GKE stack whose gpuNodePools "
                f"has {request.accelerator}",
            )
        ]
    pools = [pool_scheduling_facts(pool) for pool in settings.gpu_node_pools]
    # Prod serves on on-demand GPUs only: a spot reclaim takes a serving replica away with 30 s
    # notice and a large model needs many minutes to come back. Spot is for dev and staging.
    placed = place_gpu_workload(request, pools, settings.stack, environment_allows_spot=settings.environment != "prod")
    if isinstance(placed, PlacementError):
        return [finding.at(source, field) for finding in placed.problems]
    return Placement(node_selector=placed.node_selector, tolerations=placed.tolerations, extra_limits=placed.limits)


def serving_plans(settings: StackSettings, models: tuple[ModelSpec, ...]) -> dict[str, ServingPlan]:
    """Every model's plan, or one ConfigError with the problems of all models: call it before
    registering any resource, so a model that cannot be scheduled changes nothing."""
    problems = ProblemCollector()
    plans = {}
    for model in models:
        series = quality_signals(model)  # decided here, once: the plan carries it to every reader
        problems.extend(quality_check_problems(model, series, f"{settings.models_dir}/{model.name}.yaml"))
        placed = placement_for(settings, model)
        if isinstance(placed, list):
            problems.extend(placed)
        else:
            plans[model.name] = serving_plan(settings, model, placed, quality_series=series)
    problems.raise_if_any()
    return plans


def stack_runtime(settings: StackSettings, name: str) -> RuntimePreset:
    """The runtime preset as this stack runs it: an image built from this repository is pulled from
    the stack's own registry (settings/quality.py), at the stack's tag."""
    preset = runtime_for(name)
    if preset.built_image is None:
        return preset
    return replace(preset, image=preset.built_image.at(settings.image_registry, settings.quality.image_tag))


def scaling_for(settings: StackSettings, model: ModelSpec) -> Scaling:
    low, high = model.replica_bounds(settings.environment)
    return Scaling(min_replicas=low, max_replicas=high, keda=settings.addons.keda.enabled)


def serving_plan(
    settings: StackSettings,
    model: ModelSpec,
    placement: Placement | None = None,
    service_account_annotations: dict[str, str] | None = None,
    quality_series: frozenset[Series] | None = None,
) -> ServingPlan:
    """`quality_series`: what `quality_signals(model)` decided, when the caller has it already."""
    return ServingPlan(
        model=model,
        environment=settings.environment,
        namespace=settings.namespace_for(model.name),
        runtime=stack_runtime(settings, model.serving.runtime),
        tracking_uri=settings.pods_tracking_uri,
        kubernetes_minor=settings.kubernetes_minor,
        monitoring_namespace=settings.monitoring_namespace,
        traffic_namespaces=settings.traffic_namespaces,
        traffic_source_cidrs=settings.traffic_source_cidrs,
        scaling=scaling_for(settings, model),
        quality_series=quality_signals(model) if quality_series is None else quality_series,
        pod_security_level=settings.pod_security_level,
        registry_credentials=pod_credentials(settings),
        placement=placement or Placement(),
        service_account_annotations=service_account_annotations or {},
        feature_env=feature_env(settings, model),
    )
