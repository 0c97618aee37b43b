"""KEDA ScaledObject of one model: scale on demand, not only on CPU.

CPU runtimes (MLServer) scale on requests per second per pod (the source documents: 100 per pod,
catalogue `delivery.requestsPerPod`); GPU runtimes (Triton, vLLM) on the server's queue depth
(`delivery.queueDepthPerPod`), because a GPU server's CPU says little about its load. Bounds are the
catalogue's replica bounds for the environment.

The ScaledObject targets the Canary's target Deployment `<name>`; Flagger copies it to `<name>-primary`
for the primary Deployment and swaps in `primaryScalerQueries` so each one reads its own pods.
When a ScaledObject owns scaling, the serving component creates no HPA (KEDA makes its own).
"""

from __future__ import annotations

from manifests.delivery.queries import Scope, queries_for
from plan.delivery import DeliveryPlan

KEDA_API = "keda.sh/v1alpha1"
TRIGGER = "demand"


def _demand(plan: DeliveryPlan, scope: Scope) -> tuple[str, int]:
    """(query, target per pod) of the runtime's demand signal."""
    queries = queries_for(plan.serving.runtime.name, plan.name)
    delivery = plan.serving.model.delivery
    queue = queries.queue_depth(scope)
    if plan.serving.runtime.gpu and queue is not None:
        return queue, delivery.queue_depth_per_pod
    return queries.request_rate(scope, "1m"), delivery.requests_per_pod


def primary_scaler_queries(plan: DeliveryPlan) -> dict[str, str]:
    query, _ = _demand(plan, Scope.primary(plan.namespace, plan.name))
    return {TRIGGER: query}


def scaled_object_manifest(plan: DeliveryPlan) -> dict:
    low, high = plan.serving.model.replica_bounds(plan.serving.environment)
    query, per_pod = _demand(plan, Scope.canary(plan.namespace, plan.name))
    return {
        "apiVersion": KEDA_API,
        "kind": "ScaledObject",
        "metadata": plan.serving.metadata(),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": plan.name},
            "minReplicaCount": low,
            "maxReplicaCount": high,
            "pollingInterval": 15,
            # Model pods are slow to start: scale down only after five quiet minutes.
            "cooldownPeriod": 300,
            "triggers": [
                {
                    "type": "prometheus",
                    "name": TRIGGER,
                    # AverageValue: desired replicas = ceil(query / threshold).
                    "metricType": "AverageValue",
                    "metadata": {
                        "serverAddress": plan.platform.prometheus_url,
                        "query": query,
                        "threshold": str(per_pod),
                        # No series yet (no traffic) means zero demand, not an error.
                        "ignoreNullValues": "true",
                    },
                }
            ],
        },
    }
