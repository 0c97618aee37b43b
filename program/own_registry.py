"""The stack's own MLflow server as the program registers it, and its `mlflowServer` stack output."""

from __future__ import annotations

from typing import Any

import pulumi

from catalogue.schema import ModelSpec
from components.cluster.cluster_access import ClusterAccess
from components.data.mlflow_server import MlflowServer, MlflowServerArgs
from facts.cloud_sql_prices import PRICES_AS_OF, monthly_compute_usd
from plan.mlflow_route import route_blocker
from plan.mlflow_server import MlflowServerPlan, mlflow_server_plan
from program.first_registration import without_awaiting_models
from settings.pulumi_config import LoadedSettings
from settings.stack import StackSettings


def mlflow_server_summary(settings: StackSettings, plan: MlflowServerPlan | None, server: Any) -> dict | None:
    """The `mlflowServer` output: where pods reach it and, on GKE, what its database costs (the preview shows
    it beside the GPU ceiling). None: the stack uses someone else's server."""
    if plan is None or server is None:
        return None
    summary: dict[str, Any] = {"uri": server.uri, "store": plan.store}
    if plan.route is not None:
        summary["publicUri"] = plan.route.uri  # where the program and CI reach it, through the Gateway
    if plan.store == "cloud-sql":
        database = settings.mlflow_server.database
        summary["database"] = {
            "tier": database.tier,
            "availability": database.availability,
            "monthlyComputeUsd": monthly_compute_usd(database.tier, database.availability),
            "pricesAsOf": PRICES_AS_OF,
        }
    return summary


def own_registry(loaded: LoadedSettings, plan: MlflowServerPlan | None, cluster: ClusterAccess) -> MlflowServer | None:
    """Registers the server when the stack provisions one; exports `mlflowServer` on every stack (null: the
    stack uses someone else's server), so a stack's outputs always say which. With basic auth, the program's
    user (mlflowUsername / mlflowPassword) is its admin, and it creates the model pods' reader except on the
    bootstrap `up`."""
    settings = loaded.stack
    server = None
    if plan is not None:
        cost_labels = settings.guardrails.labels
        server = MlflowServer(
            "mlflow-server",
            MlflowServerArgs(
                plan=plan,
                database=settings.mlflow_server.database,
                bucket_name=settings.mlflow_server.bucket_for(settings.cluster.project or "", settings.environment),
                workload_pool=cluster.gke.workload_pool if cluster.gke is not None else "",
                production=settings.production,
                deletion_protection=settings.mlflow_server.deletion_protected(settings.production),
                labels=cost_labels.as_gcp_labels() if cost_labels else {},
                admin_password=loaded.mlflow_password,
                create_reader=not settings.mlflow_server.bootstrap,
                kube_provider=cluster.kube_provider,
            ),
        )
        _warn_about_reach(settings, plan)
    pulumi.export("mlflowServer", mlflow_server_summary(settings, plan, server))
    return server


def _warn_about_reach(settings: StackSettings, plan: MlflowServerPlan) -> None:
    """How the program reaches the server is the stack's mlflowTrackingUri (the provider reads it from stack
    config in its own process, so the program cannot redirect it): say when it does not point there."""
    blocker = route_blocker(settings)
    if blocker is not None:
        pulumi.log.warn(
            f"mlflowServer: no Gateway route ({blocker}); the program and CI reach the server with "
            f"`kubectl -n {plan.namespace} port-forward svc/mlflow 5000` at http://127.0.0.1:5000"
        )
    elif plan.route is not None and settings.mlflow_tracking_uri.rstrip("/") != plan.route.uri:
        pulumi.log.warn(
            f"mlflowServer: the program resolves versions from {settings.mlflow_tracking_uri}, not from the stack's "
            f"own server at {plan.route.uri}; set mlflowTrackingUri to {plan.route.uri} once it is up"
        )


def registered_models(
    loaded: LoadedSettings, models: tuple[ModelSpec, ...]
) -> tuple[tuple[ModelSpec, ...], MlflowServerPlan | None]:
    """The models to serve and the stack's own server's plan. Its registry starts empty: models it has no
    version of wait for their first registration (named in a warning) instead of failing the run, and are
    served once registered. Without an own server, every selected model, as before."""
    plan = mlflow_server_plan(loaded.stack, tuple(m.name for m in models))
    if plan is None:
        return models, None
    if loaded.stack.mlflow_server.bootstrap:
        pulumi.log.warn(
            f"mlflowServer.bootstrap is on: the server is created and no model is served ({len(models)} wait: "
            f"{', '.join(m.name for m in models)}); register their versions, turn bootstrap off and run `pulumi up` again"
        )
        return (), mlflow_server_plan(loaded.stack, ())
    models = without_awaiting_models(loaded, models)
    return models, mlflow_server_plan(loaded.stack, tuple(m.name for m in models))
