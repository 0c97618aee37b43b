"""The Flagger Canary of one model, and the fields Flagger owns once it exists.

Flagger scales the target Deployment (to 0 between rollouts), creates `<name>-primary`, the three
Services `<name>`, `<name>-primary`, `<name>-canary` and (Gateway API) the HTTPRoute `<name>`.
Nothing else may manage those: the serving component leaves out its Service and never sets
`spec.replicas`, and GitOps must ignore what is listed in FLAGGER_OWNED_FIELDS.
"""

from __future__ import annotations

from manifests.delivery.analysis import FLAGGER_API, canary_metrics
from manifests.delivery.autoscaling import primary_scaler_queries
from manifests.delivery.webhooks import webhooks
from plan.delivery import DeliveryPlan

# (group, kind, name pattern, JSON pointer or "*" for the whole object) that Flagger writes. Argo CD
# needs these as ignoreDifferences / must not manage them (facts-delivery.md sections 3 and 4).
FLAGGER_OWNED_FIELDS: tuple[tuple[str, str, str, str], ...] = (
    ("apps", "Deployment", "{name}", "/spec/replicas"),
    ("apps", "Deployment", "{name}-primary", "*"),
    ("autoscaling", "HorizontalPodAutoscaler", "{name}-primary", "*"),
    ("keda.sh", "ScaledObject", "{name}-primary", "*"),
    ("", "Service", "{name}", "*"),
    ("", "Service", "{name}-primary", "*"),
    ("", "Service", "{name}-canary", "*"),
    ("gateway.networking.k8s.io", "HTTPRoute", "{name}", "*"),
)

ALERT_PROVIDER = "canary-alerts"


def flagger_owned(model: str) -> list[tuple[str, str, str, str]]:
    """FLAGGER_OWNED_FIELDS for one model: (group, kind, object name, JSON pointer or "*")."""
    return [(group, kind, name.format(name=model), pointer) for group, kind, name, pointer in FLAGGER_OWNED_FIELDS]


def autoscaler_name(plan: DeliveryPlan) -> str:
    return plan.name


def canary_manifest(plan: DeliveryPlan) -> dict:
    policy = plan.policy
    platform = plan.platform
    runtime = plan.serving.runtime
    # portDiscovery: the generated Services also carry the gRPC and metrics ports of the container.
    service: dict = {"port": runtime.http_port, "targetPort": "http", "portName": "http", "portDiscovery": True}
    if plan.weighted and platform.gateway is not None:
        gateway = platform.gateway
        service["gatewayRefs"] = [{"name": gateway.name, "namespace": gateway.namespace}]
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
