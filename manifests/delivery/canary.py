"""The Flagger Canary of one model, and the fields Flagger owns once it exists.

Flagger scales the target Deployment (to 0 between rollouts), creates `<name>-primary`, the three
Services `<name>`, `<name>-primary`, `<name>-canary` and (Gateway API) the HTTPRoute `<name>`.
Nothing else may manage those: the serving component leaves out its Service and never sets
`spec.replicas`, and GitOps ignores what manifests/gitops/flagger_owned.py lists.
"""

from __future__ import annotations

from manifests.delivery.analysis import FLAGGER_API, canary_metrics
from manifests.delivery.autoscaling import primary_scaler_queries
from manifests.delivery.webhooks import webhooks
from plan.delivery import DeliveryPlan

ALERT_PROVIDER = "canary-alerts"


def autoscaler_name(plan: DeliveryPlan) -> str:
    return plan.name


def primary_deployment_name(plan: DeliveryPlan) -> str:
    """The Deployment Flagger creates and promotes into: what serves the model's traffic after a rollout."""
    return f"{plan.name}-primary"


def canary_manifest(plan: DeliveryPlan) -> dict:
    policy = plan.policy
    platform = plan.platform
    runtime = plan.serving.runtime
    # portDiscovery: the generated Services also carry the gRPC and metrics ports of the container.
    service: dict = {"port": runtime.http_port, "targetPort": "http", "portName": "http", "portDiscovery": True}
    if plan.weighted and platform.gateway is not None:
        gateway = platform.gateway
        service["gatewayRefs"] = [{"name": gateway.name, "namespace": gateway.namespace}]
        if plan.host:  # settings require a hostname suffix on a Gateway stack; never render `<model>.`
            service["hosts"] = [plan.host]
        # No service.timeout/backendTimeout: GKE rejects HTTPRoute timeouts and the canary would stall.
    analysis: dict = {
        "interval": f"{policy.interval_seconds}s",
        "threshold": policy.threshold,
        "metrics": canary_metrics(plan),
        "webhooks": webhooks(plan),
    }
    if plan.weighted:
        # stepWeights only, never with stepWeight: the last step is followed by promotion.
        analysis["stepWeights"] = list(policy.step_weights)
    else:
        # The kubernetes provider has no weighted router: blue/green, one iteration per configured step.
        analysis["iterations"] = len(policy.step_weights)
    if plan.alerts:
        analysis["alerts"] = [
            {
                "name": "canary-events",
                "severity": "warn",
                "providerRef": {"name": ALERT_PROVIDER, "namespace": plan.namespace},
            }
        ]
    kscaler = "ScaledObject" if platform.keda else "HorizontalPodAutoscaler"
    api = "keda.sh/v1alpha1" if platform.keda else "autoscaling/v2"
    autoscaler: dict = {"apiVersion": api, "kind": kscaler, "name": autoscaler_name(plan)}
    if platform.keda:
        autoscaler["primaryScalerQueries"] = primary_scaler_queries(plan)
    return {
        "apiVersion": FLAGGER_API,
        "kind": "Canary",
        "metadata": plan.serving.metadata(),
        "spec": {
            "provider": platform.flagger_provider,
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": plan.name},
            "autoscalerRef": autoscaler,
            "progressDeadlineSeconds": policy.progress_deadline_seconds,
            "skipAnalysis": not policy.analysis,
            "service": service,
            "analysis": analysis,
        },
    }
