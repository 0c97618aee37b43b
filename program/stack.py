"""The whole Pulumi program as one function, so `pulumi up`, the offline render, the Automation API
driver and the tests all run the same code.

Order matters for safety: settings and the catalogue are validated before anything is registered
(a broken file changes nothing); every model version is resolved from the registry before the
cluster or any Kubernetes object is touched (an unreachable registry, a missing alias or a refused
candidate stops the run first); then the cluster and one serving stack per model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi

from catalogue.loader import Catalogue, load_catalogue
from components.cluster.cluster_access import GPU_POOLS_OUTPUT, ClusterAccess, ClusterAccessArgs, gpu_pools_output
from components.gcp.gcp_platform import GcpPlatform, GcpPlatformArgs, ServedModel
from components.serving.model_serving import ModelServing, ModelServingArgs
from plan.serving import select_models, serving_plans
from registry.barrier import VersionsResolved
from registry.model_version import ModelVersion
from registry.resolution import ModelVersionArgs
from settings.pulumi_config import LoadedSettings, read_stack_settings

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Program:
    """What one run registered, for callers that inspect it (tests, the render)."""

    versions: dict[str, ModelVersion]
    servings: dict[str, ModelServing]
    cluster: ClusterAccess
    gcp_platform: GcpPlatform | None


def load_inputs(project_dir: Path = PROJECT_DIR) -> tuple[LoadedSettings, Catalogue]:
    """Reads and validates the stack's config and the catalogue; raises ConfigError before any resource."""
    loaded = read_stack_settings()
    return loaded, load_catalogue(project_dir / loaded.stack.models_dir)


def build(loaded: LoadedSettings, catalogue: Catalogue) -> Program:
    """Registers every resource of one stack from validated settings and catalogue."""
    settings = loaded.stack
    models = select_models(settings, catalogue)
    plans = serving_plans(settings, models)  # a GPU model no pool of this stack can take stops the run here

    versions = {
        model.name: ModelVersion(
            f"{model.name}-version",
            ModelVersionArgs(
                model=model.name,
                registered_model=model.registered_model,
                environment=settings.environment,
                selector=model.environments[settings.environment].selector(),
                gates=model.gates_for(settings.environment).as_input(),
                record=settings.record_deployments,
            ),
        )
        for model in models
    }
    # One barrier that waits for every version: nothing below starts while any resolution fails, with
    # dependsOn edges linear in the catalogue (not one edge per version per serving stack).
    all_resolved = VersionsResolved("model-versions-resolved", versions)
    resolved = pulumi.ResourceOptions(depends_on=[all_resolved])

    cluster = ClusterAccess(
        settings.stack,
        ClusterAccessArgs(
            cluster=settings.cluster,
            gpu_node_pools=settings.gpu_node_pools,
            production=settings.production,
            last_deployment=f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}",
        ),
        opts=resolved,
    )

    gcp_platform = None
    if cluster.gke is not None:
        gcp_platform = GcpPlatform(
            settings.stack,
            GcpPlatformArgs(
                project=settings.cluster.project,
                region=settings.cluster.region,
                environment=settings.environment,
                production=settings.production,
                workload_pool=cluster.gke.workload_pool,
                models=tuple(ServedModel(m.name, settings.namespace_for(m.name), m.name) for m in models),
                bucket_name=settings.bucket_name,
                image_repository=settings.image_repository,
                scan_attestor=settings.scan_attestor,
                allowlist=settings.binary_authorization_allowlist,
            ),
            opts=resolved,
        )

    servings = {
        model.name: ModelServing(
            model.name,
            ModelServingArgs(
                plan=plans[model.name],
                version=versions[model.name].version,
                registry_token=loaded.mlflow_token,
                service_account_annotations=(
                    gcp_platform.service_account_annotations(model.name) if gcp_platform else {}
                ),
            ),
            opts=pulumi.ResourceOptions(
                providers=[cluster.kube_provider], depends_on=[all_resolved, versions[model.name]]
            ),
        )
        for model in models
    }

    pulumi.export("environment", settings.environment)
    pulumi.export(GPU_POOLS_OUTPUT, gpu_pools_output(settings.gpu_node_pools))
    pulumi.export(
        "models",
        {
            model.name: {
                "selector": " ".join(
                    f"{k}={v}" for k, v in model.environments[settings.environment].selector().items()
                ),
                "version": versions[model.name].version,
                "namespace": servings[model.name].namespace,
                "gate": versions[model.name].gate,
            }
            for model in models
        },
    )
    return Program(versions=versions, servings=servings, cluster=cluster, gcp_platform=gcp_platform)


def main(project_dir: Path = PROJECT_DIR) -> Program:
    """The entry point `__main__.py` calls: validate everything, then register everything."""
    loaded, catalogue = load_inputs(project_dir)
    return build(loaded, catalogue)
