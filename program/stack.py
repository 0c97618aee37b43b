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
from components.addons.platform import PlatformAddons, PlatformAddonsArgs
from components.cluster.cluster_access import GPU_POOLS_OUTPUT, ClusterAccess, ClusterAccessArgs, gpu_pools_output
from components.delivery.model_delivery import ModelDelivery, ModelDeliveryArgs
from components.gcp.gcp_platform import GcpPlatform, GcpPlatformArgs, ServedModel
from components.gitops.gitops import GitOps, GitOpsArgs
from components.guardrails.cost_labels import cost_labels_transformation
from components.guardrails.guardrails import Guardrails, GuardrailsArgs
from components.serving.model_serving import ModelServing, ModelServingArgs
from guardrails.admission import MIN_KUBERNETES_MINOR, admission_policies
from guardrails.cost import pools_ceiling
from plan.batch import storage_grants
from plan.platform import platform_summary
from plan.quality_monitor import quality_monitor_plan
from program.feature_store import feature_store
from program.own_registry import own_registry
from program.registry_credentials import credential_values
from program.stack_jobs import stack_jobs
from program.stack_plan import plan_stack
from registry.barrier import VersionsResolved
from registry.model_version import ModelVersion
from registry.version_args import ModelVersionArgs
from settings.cluster import region_of
from settings.pulumi_config import LoadedSettings, read_stack_settings

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Program:
    """What one run registered, for callers that inspect it (tests, the render)."""

    versions: dict[str, ModelVersion]
    servings: dict[str, ModelServing]
    deliveries: dict[str, ModelDelivery]
    cluster: ClusterAccess
    gcp_platform: GcpPlatform | None
    gitops: GitOps
    addons: PlatformAddons


def load_inputs(project_dir: Path = PROJECT_DIR) -> tuple[LoadedSettings, Catalogue]:
    """Reads and validates the stack's config and the catalogue; raises ConfigError before any resource."""
    loaded = read_stack_settings()
    return loaded, load_catalogue(project_dir / loaded.stack.models_dir)


def build(loaded: LoadedSettings, catalogue: Catalogue, only_models: frozenset[str] | None = None) -> Program:
    """Registers every resource of one stack from validated settings and catalogue.

    `only_models` is for a pull request's offline preview alone (ops/offline/scoped_preview.py, never a
    deployment): every model's version and the whole platform are registered, but serving and delivery only
    for these models, the ones whose inputs the change touched (program/preview_scope.py)."""
    planned = plan_stack(loaded, catalogue)
    settings = loaded.stack
    models, server_plan, plans, batches = planned.models, planned.server_plan, planned.servings, planned.batches
    guard, delivery, features, refs = planned.guard, planned.gitops, planned.features, planned.refs
    selector = planned.selector
    served = tuple(m for m in models if only_models is None or m.name in only_models)
    served_names = {m.name for m in served}
    deliveries_planned = {name: plan for name, plan in planned.deliveries.items() if name in served_names}

    versions = {
        model.name: ModelVersion(
            f"{model.name}-version",
            ModelVersionArgs(
                model=model.name,
                registered_model=model.registered_model,
                environment=settings.environment,
                selector=selector(model),
                gates=model.gates_for(settings.environment).as_input(),
                record=settings.record_deployments,
            ),
        )
        for model in models
    }
    # One barrier that waits for every version: nothing below starts while any resolution fails, with
    # dependsOn edges linear in the catalogue (not one edge per version per serving stack).
    all_resolved = VersionsResolved("model-versions-resolved", versions)
    cost_labels = settings.guardrails.labels
    resolved = pulumi.ResourceOptions(
        depends_on=[all_resolved],
        # Children inherit it: every GCP resource of the cluster and the platform gets team and cost-centre labels.
        transformations=[cost_labels_transformation(cost_labels.as_gcp_labels())] if cost_labels else None,
    )

    cluster = ClusterAccess(
        settings.stack,
        ClusterAccessArgs(
            cluster=settings.cluster,
            gpu_node_pools=settings.gpu_node_pools,
            batch_node_pool=settings.batch_node_pool,
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
                project=settings.cluster.gke_identity.project,
                region=region_of(settings.cluster.gke_identity.location),
                environment=settings.environment,
                production=settings.production,
                workload_pool=cluster.gke.workload_pool,
                models=tuple(
                    ServedModel(m.name, settings.namespace_for(m.name), m.name, storage_grants(settings, plans[m.name]))
                    for m in models
                ),
                bucket_name=settings.bucket_name,
                image_repository=settings.image_repository,
                scan_attestor=settings.scan_attestor,
                allowlist=settings.binary_authorization_allowlist,
            ),
            opts=resolved,
        )

    # The stack's own registry, if it provisions one; not behind the versions barrier: those come from it.
    server = own_registry(loaded, server_plan, cluster)
    registry_credentials = credential_values(loaded, server)

    # Argo CD and its projects and applications; and the provider each model's objects go through:
    # the cluster (direct mode) or <manifestsDir>/<environment>/<model>/ for Argo CD to pull (gitops mode).
    gitops = GitOps(
        f"{settings.stack}-gitops",
        GitOpsArgs(
            plan=delivery,
            cluster_provider=cluster.kube_provider,
            admin_password=loaded.argocd_admin_password,
            oidc_client_secret=loaded.argocd_oidc_client_secret,
            salt_seed=settings.stack,
        ),
        opts=resolved,
    )
    pulumi.export(
        "delivery",
        {
            "mode": delivery.mode,
            "manifests": {a.model: a.path for a in delivery.apps},
            # where `ops publish` commits them and Argo CD pulls them (gitops mode)
            **({"repoUrl": delivery.repo_url, "branch": delivery.branch} if delivery.apps else {}),
        },
    )
    # Platform add-ons: Prometheus and Grafana, Flagger and its load tester, KEDA, the traffic layer. Model
    # stacks wait for them, so whatever a model adds on top (canaries, monitors, scalers) finds its CRDs,
    # and a destroy removes models before the controllers that manage them.
    addons = PlatformAddons(
        "platform",
        PlatformAddonsArgs(
            settings=settings.addons,
            refs=refs,
            summary=platform_summary(settings, refs),
            managed_control_plane=cluster.gke is not None,
            project=settings.cluster.project,
            grafana_admin_password=loaded.grafana_admin_password,
            mlflow_route=server_plan.route if server_plan else None,
        ),
        opts=pulumi.ResourceOptions(providers=[cluster.kube_provider], depends_on=[all_resolved]),
    )
    pulumi.export("platform", addons.summary)

    if features is not None:
        feature_store(settings, features, cluster, resolved)

    servings = {
        model.name: ModelServing(
            model.name,
            ModelServingArgs(
                plan=plans[model.name],
                version=versions[model.name].version,
                registry_credentials=registry_credentials,
                service_account_annotations=(
                    gcp_platform.service_account_annotations(model.name) if gcp_platform else {}
                ),
                flagger_owns_service=True,
                quality_monitor=quality_monitor_plan(settings, plans[model.name]),
                batch_jobs=batches.get(model.name, ()),
            ),
            opts=gitops.model_options(model.name, depends_on=[all_resolved, versions[model.name], *addons.ready]),
        )
        for model in served
    }

    # Progressive delivery per model: the Canary needs its target Deployment, the fallback route the
    # fallback's Service, so every model's serving stack comes first.
    deliveries = {
        name: ModelDelivery(
            f"{name}-delivery",
            ModelDeliveryArgs(
                plan=plan,
                alert_webhook_url=loaded.alert_webhook_url,
                target_deployment=servings[name].deployment_name,
                serving=servings[name],
            ),
            # Its own serving stack (the Canary's target), and its fallback's (the switch route's backend):
            # never every model's, which would grow the edges with the square of the catalogue.
            opts=gitops.model_options(
                name,
                depends_on=[
                    servings[name],
                    *([servings[plan.fallback.model]] if plan.fallback else []),
                    *addons.ready,
                ],
            ),
        )
        for name, plan in deliveries_planned.items()
    }

    stack_jobs(settings, refs, plans, cluster, addons, registry_credentials)

    Guardrails(
        "guardrails",  # the render groups its admission policies under rendered/<stack>/guardrails/
        GuardrailsArgs(
            context=guard,
            admission_manifests=(
                tuple(admission_policies(guard)) if settings.kubernetes_minor >= MIN_KUBERNETES_MINOR else ()
            ),
            ceiling_summary=(
                tuple(pools_ceiling(settings).summary(guard.gpu_budget))
                if settings.gpu_node_pools or settings.batch_node_pool
                else ()
            ),
        ),
        opts=pulumi.ResourceOptions(providers=[cluster.kube_provider], depends_on=[all_resolved]),
    )

    pulumi.export("environment", settings.environment)
    pulumi.export(GPU_POOLS_OUTPUT, gpu_pools_output(settings.gpu_node_pools))
    pulumi.export(
        "models",
        {
            model.name: {
                "selector": " ".join(f"{k}={v}" for k, v in selector(model).items()),
                "version": versions[model.name].version,
                "namespace": servings[model.name].namespace,
                "gate": versions[model.name].gate,
                # Where promote reads this model's rollout health from (ops/promotion/canary_health.py).
                "canary": deliveries[model.name].canary_ref,
            }
            for model in served
        },
    )
    return Program(
        versions=versions,
        servings=servings,
        deliveries=deliveries,
        cluster=cluster,
        gcp_platform=gcp_platform,
        gitops=gitops,
        addons=addons,
    )


def main(project_dir: Path = PROJECT_DIR, only_models: frozenset[str] | None = None) -> Program:
    """The entry point `__main__.py` calls: validate everything, then register everything (`only_models`:
    see build)."""
    loaded, catalogue = load_inputs(project_dir)
    return build(loaded, catalogue, only_models)
