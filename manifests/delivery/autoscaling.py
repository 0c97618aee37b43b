"""The autoscaler of one model: a KEDA ScaledObject (scale on demand, not only on CPU) when the plan's
`serving.scaling.keda` says so, else a CPU/memory HorizontalPodAutoscaler. ModelDelivery registers the
one the plan chooses, beside the Canary whose `autoscalerRef` names it.

CPU runtimes (MLServer) scale on requests per second per pod (the source documents: 100 per pod,
catalogue `delivery.requestsPerPod`); GPU runtimes (Triton, vLLM) on the server's queue depth
(`delivery.queueDepthPerPod`), because a GPU server's CPU says little about its load. Bounds are the
plan's (`serving.scaling`: the catalogue's replica bounds for the environment).

The ScaledObject targets the Canary's target Deployment `<name>`; Flagger copies it to `<name>-primary`
for the primary Deployment and swaps in `primaryScalerQueries` so each one reads its own pods.
When a ScaledObject owns scaling there is no HPA of ours (KEDA makes its own).

The ScaledObject we write is the CANARY's: Flagger (v1.44.0, docs/gitbook/tutorials/keda-scaledobject.md,
pkg/canary/scaled_object_reconciler.go PauseTargetScaler/ResumeTargetScaler, pkg/controller/scheduler.go)
pauses it with `autoscaling.keda.sh/paused-replicas: "0"` between rollouts and RESUMES it for every
analysis, when the canary runs beside the primary; ScaleFromZero starts the canary at the ScaledObject's
minReplicaCount. With the catalogue's bounds on it, each analysis would double the model's pods, GPUs
included. So the catalogue's bounds go to the primary (`primaryScalerReplicas`), and the canary's
ScaledObject gets 1 pod up to the share of the bound the highest step weight needs (`canary_replicas`).
Flagger removes the paused annotation only in its finalizer; Pulumi (server-side apply, its own field
manager) and Argo CD (fields in Git only) leave an annotation they never set alone.
"""

from __future__ import annotations

import math

from manifests.delivery.queries import Scope, queries_for
from plan.delivery import DeliveryPlan
from plan.serving_plan import ServingPlan

KEDA_API = "keda.sh/v1alpha1"
HPA_API = "autoscaling/v2"
TRIGGER = "demand"


def autoscaler_kind(plan: ServingPlan) -> tuple[str, str]:
    """(apiVersion, kind) of the model's autoscaler, as the Canary's autoscalerRef names it."""
    return (KEDA_API, "ScaledObject") if plan.scaling.keda else (HPA_API, "HorizontalPodAutoscaler")


def _demand(plan: DeliveryPlan, scope: Scope) -> tuple[str, int]:
    """(query, target per pod) of the runtime's demand signal."""
    queries = queries_for(plan.serving.runtime.name, plan.name)
    delivery = plan.serving.model.delivery
    queue = queries.queue_depth(scope)
    if plan.serving.runtime.gpu and queue is not None:
        return queue, delivery.queue_depth_per_pod
    return queries.request_rate(scope, "1m"), delivery.requests_per_pod


def canary_replicas(plan: DeliveryPlan) -> tuple[int, int]:
    """(min, max) pods of the canary during an analysis: one to start, at most what the highest step's
    share of traffic needs at the catalogue's maximum (one pod for blue/green, which gets no live traffic)."""
    high = plan.serving.scaling.max_replicas
    top = max(plan.policy.step_weights) if plan.weighted and plan.policy.step_weights else 0
    return 1, max(1, math.ceil(high * top / 100))


def primary_scaler_replicas(plan: DeliveryPlan) -> dict[str, int]:
    """Flagger's `autoscalerRef.primaryScalerReplicas`: the primary scales within the catalogue's bounds."""
    scaling = plan.serving.scaling
    return {"minReplicas": scaling.min_replicas, "maxReplicas": scaling.max_replicas}


def primary_scaler_queries(plan: DeliveryPlan) -> dict[str, str]:
    query, _ = _demand(plan, Scope.primary(plan.namespace, plan.name))
    return {TRIGGER: query}


def scaled_object_manifest(plan: DeliveryPlan) -> dict:
    low, high = canary_replicas(plan)
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


def hpa_manifest(plan: ServingPlan) -> dict:
    """The CPU/memory HPA of a stack without KEDA; Flagger copies it to the primary Deployment."""
    scaling = plan.model.autoscaling
    return {
        "apiVersion": HPA_API,
        "kind": "HorizontalPodAutoscaler",
        "metadata": plan.metadata(),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": plan.name},
            "minReplicas": plan.scaling.min_replicas,
            "maxReplicas": plan.scaling.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": scaling.target_cpu_utilization},
                    },
                },
                {
                    "type": "Resource",
                    "resource": {
                        "name": "memory",
                        "target": {"type": "Utilization", "averageUtilization": scaling.target_memory_utilization},
                    },
                },
            ],
            # Scale up fast on load, down slowly: model pods are slow to start.
            "behavior": {
                "scaleUp": {"stabilizationWindowSeconds": 0},
                "scaleDown": {
                    "stabilizationWindowSeconds": 300,
                    "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}],
                },
            },
        },
    }
