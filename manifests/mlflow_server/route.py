"""The tracking server's HTTPRoute on the stack's Gateway and the load balancer's health check of its Service
(plan/mlflow_route.py decides whether there is one).

GKE's Gateway probes `/` on each backend Service unless a HealthCheckPolicy says otherwise; the server's
`/health` answers without credentials (mlflow.server.auth: an unprotected route), `/` with the UI.
"""

from __future__ import annotations

from typing import Any

from facts import mlflow_server as facts
from manifests.delivery.health_checks import GKE_NETWORKING_API
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
    return {
        "apiVersion": GKE_NETWORKING_API,
        "kind": "HealthCheckPolicy",
        "metadata": metadata(plan, f"{facts.NAME}-health"),
        "spec": {
            "default": {
                # as the server's readiness probe (manifests/mlflow_server/deployment.py)
                "checkIntervalSec": 10,
                "timeoutSec": 5,
                "unhealthyThreshold": 3,
                "config": {
                    "type": "HTTP",
                    "httpHealthCheck": {"portSpecification": "USE_SERVING_PORT", "requestPath": facts.HEALTH_PATH},
                },
            },
            "targetRef": {"group": "", "kind": "Service", "name": facts.NAME},
        },
    }
