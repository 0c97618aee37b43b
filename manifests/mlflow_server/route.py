"""The tracking server's HTTPRoute on the stack's Gateway and the load balancer's health check of its Service
(plan/mlflow_route.py decides whether there is one).

GKE's Gateway probes `/` on each backend Service unless a HealthCheckPolicy says otherwise; the server's
`/health` answers without credentials (mlflow.server.auth: an unprotected route), `/` with the UI.
"""

from __future__ import annotations

from typing import Any

from facts import mlflow_server as facts
from manifests.delivery.health_checks import health_check_policy
from manifests.mlflow_server import deployment
from manifests.mlflow_server.objects import metadata
from plan.mlflow_route import LISTENER, MlflowRoute
from plan.mlflow_server import MlflowServerPlan


def route_manifest(plan: MlflowServerPlan, route: MlflowRoute) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": metadata(plan),
        "spec": {
            "parentRefs": [{"name": route.gateway_name, "namespace": route.gateway_namespace, "sectionName": LISTENER}],
            "hostnames": [route.hostname],
            "rules": [{"backendRefs": [{"name": facts.NAME, "port": facts.PORT}]}],
        },
    }


def health_check_manifest(plan: MlflowServerPlan) -> dict[str, Any]:
    return health_check_policy(
        metadata(plan, f"{facts.NAME}-health"),
        facts.NAME,
        facts.HEALTH_PATH,
        period_seconds=deployment.READINESS_PERIOD_SECONDS,
        timeout_seconds=deployment.PROBE_TIMEOUT_SECONDS,
        failure_threshold=deployment.READINESS_FAILURES,
    )
