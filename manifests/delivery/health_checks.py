"""GKE load-balancer health checks for the Services Flagger generates.

GKE's Gateway creates one backend service and health check per Kubernetes Service and does not derive
the check from the pods' readiness probe (it probes `/`, where the model servers answer 404), so
`<name>-primary` and `<name>-canary` (the route's backends) and `<name>` (a fallback route's backend)
each get a HealthCheckPolicy on the runtime's readiness path (facts-delivery.md section 3, constraint 6).
"""

from __future__ import annotations

from plan.delivery import DeliveryPlan

GKE_NETWORKING_API = "networking.gke.io/v1"


def health_check_policy(
    metadata: dict, service: str, path: str, *, period_seconds: int, timeout_seconds: int, failure_threshold: int
) -> dict:
    """GKE's load-balancer health check of one Service: HTTP on the serving port at `path`, timed as the
    pods' readiness probe is."""
    return {
        "apiVersion": GKE_NETWORKING_API,
        "kind": "HealthCheckPolicy",
        "metadata": metadata,
        "spec": {
            "default": {
                "checkIntervalSec": period_seconds,
                "timeoutSec": timeout_seconds,
                "unhealthyThreshold": failure_threshold,
                "config": {
                    "type": "HTTP",
                    "httpHealthCheck": {"portSpecification": "USE_SERVING_PORT", "requestPath": path},
                },
            },
            "targetRef": {"group": "", "kind": "Service", "name": service},
        },
    }


def health_check_policy_manifests(plan: DeliveryPlan) -> list[dict]:
    if not plan.gke or plan.platform.gateway is None:
        return []
    readiness = plan.serving.runtime.readiness
    return [
        health_check_policy(
            plan.serving.metadata(f"{service}-health"),
            service,
            readiness.path_for(plan.name),
            period_seconds=readiness.period_seconds,
            timeout_seconds=readiness.timeout_seconds,
            failure_threshold=readiness.failure_threshold,
        )
        for service in (plan.name, f"{plan.name}-primary", f"{plan.name}-canary")
    ]
