"""The fallback switch: send a model's inference traffic to its warm catalogue fallback and back.

Flagger owns the HTTPRoute `<name>` (PathPrefix `/` on the model's hostname) and rebuilds it on every
reconcile, so the switch never edits it. It adds a second HTTPRoute on the same hostname whose match,
`/v2/models/<name>/`, is longer than Flagger's `/`; Gateway API gives the longest path prefix
precedence across routes, so while this route exists inference requests go to the fallback, with the
path rewritten to `/v2/models/<fallback>/`. Removing the route (taking the model out of
`delivery.fallbackActive`) hands traffic back to Flagger's route. Health, metadata and everything
else on the hostname stay with the model itself. A ReferenceGrant in the fallback's namespace lets
the route reach its Service.
"""

from __future__ import annotations

from plan.delivery import DeliveryPlan

GATEWAY_API = "gateway.networking.k8s.io/v1"
REFERENCE_GRANT_API = "gateway.networking.k8s.io/v1beta1"


def fallback_route_name(plan: DeliveryPlan) -> str:
    return f"{plan.name}-fallback"


def fallback_route_manifest(plan: DeliveryPlan) -> dict | None:
    """The switch route, or None when the switch is off (or the model has no fallback)."""
    fallback, gateway = plan.fallback, plan.platform.gateway
    if not plan.fallback_active or fallback is None or gateway is None or plan.host is None:
        return None
    return {
        "apiVersion": GATEWAY_API,
        "kind": "HTTPRoute",
        "metadata": plan.serving.metadata(fallback_route_name(plan)),
        "spec": {
            "parentRefs": [{"name": gateway.name, "namespace": gateway.namespace}],
            "hostnames": [plan.host],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": f"/v2/models/{plan.name}"}}],
                    "filters": [
                        {
                            "type": "URLRewrite",
                            "urlRewrite": {
                                "path": {
                                    "type": "ReplacePrefixMatch",
                                    "replacePrefixMatch": f"/v2/models/{fallback.model}",
                                }
                            },
                        }
                    ],
                    "backendRefs": [{"name": fallback.service, "namespace": fallback.namespace, "port": fallback.port}],
                }
            ],
        },
    }


def reference_grant_manifest(plan: DeliveryPlan) -> dict | None:
    """Lets this model's switch route (in its namespace) reach the fallback's Service."""
    fallback = plan.fallback
    if fallback is None or fallback_route_manifest(plan) is None:
        return None
    return {
        "apiVersion": REFERENCE_GRANT_API,
        "kind": "ReferenceGrant",
        "metadata": {
            "name": f"fallback-for-{plan.name}",
            "namespace": fallback.namespace,
            "labels": plan.serving.labels,
        },
        "spec": {
            "from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": plan.namespace}],
            "to": [{"group": "", "kind": "Service", "name": fallback.service}],
        },
    }
