"""The Flagger Canary of one model, and the fields Flagger owns once it exists.

Flagger scales the target Deployment (to 0 between rollouts), creates `<name>-primary`, the three
Services `<name>`, `<name>-primary`, `<name>-canary` and (Gateway API) the HTTPRoute `<name>`.
Nothing else may manage those: the serving component leaves out its Service and never sets
`spec.replicas`, and GitOps ignores what manifests/gitops/flagger_owned.py lists.
"""

from __future__ import annotations

from manifests.delivery.analysis import FLAGGER_API, canary_metrics
from manifests.delivery.autoscaling import autoscaler_kind, primary_scaler_queries, primary_scaler_replicas
from manifests.delivery.webhooks import webhooks
from plan.delivery import DeliveryPlan

ALERT_PROVIDER = "canary-alerts"


def autoscaler_name(plan: DeliveryPlan) -> str:
    return plan.name


def strategy_fields(plan: DeliveryPlan) -> dict:
    """The analysis keys that make Flagger run the plan's strategy (canary.go DeploymentStrategy):
    stepWeights (canary), iterations (blue/green), iterations + match (A/B), iterations + mirror."""
    strategy = plan.strategy
    if strategy.kind == "canary":
        # stepWeights only, never with stepWeight: the last step is followed by promotion.
        return {"stepWeights": list(strategy.traffic_steps)}
    fields: dict = {"iterations": strategy.iterations}
    if strategy.kind == "abTest":
        # One entry per condition: Flagger ORs the entries (each becomes its own HTTPRoute match).
        fields["match"] = [_segment(m) for m in strategy.match]
    if strategy.kind == "mirror":
        # Gateway API writes the RequestMirror filter only with iterations (facts/flagger_analysis.py).
        fields["mirror"] = True
    return fields


def _segment(match) -> dict:
    if match.header is not None:
        return {"headers": {match.header: {"exact": match.value}}}
    # Flagger's documented cookie pattern: the cookie anywhere in the Cookie header.
    return {"headers": {"cookie": {"regex": f"^(.*?;)?({match.cookie}={match.value})(;.*)?$"}}}


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
    analysis.update(strategy_fields(plan))
    if plan.alerts:
        analysis["alerts"] = [
            {
                "name": "canary-events",
                "severity": "warn",
                "providerRef": {"name": ALERT_PROVIDER, "namespace": plan.namespace},
            }
        ]
    api, kind = autoscaler_kind(plan.serving)
    autoscaler: dict = {"apiVersion": api, "kind": kind, "name": autoscaler_name(plan)}
    if plan.serving.scaling.keda:
        # The ScaledObject holds the canary's bounds; the primary gets the catalogue's (autoscaling.py).
        autoscaler["primaryScalerQueries"] = primary_scaler_queries(plan)
        autoscaler["primaryScalerReplicas"] = primary_scaler_replicas(plan)
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
