"""GKE load-balancer health checks for the Services Flagger generates.

GKE's Gateway creates one backend service and health check per Kubernetes Service and does not derive
the check from the pods' readiness probe (it probes `/`, where the model servers answer 404), so
`<name>-primary` and `<name>-canary` (the route's backends) and `<name>` (a fallback route's backend)
each get a HealthCheckPolicy on the runtime's readiness path (facts-delivery.md section 3, constraint 6).
"""

from __future__ import annotations

from plan.delivery import DeliveryPlan

GKE_NETWORKING_API = "networking.gke.io/v1"


def health_check_policy_manifests(plan: DeliveryPlan) -> list[dict]:
    if not plan.gke or plan.platform.gateway is None:
        return []
    runtime = plan.serving.runtime
    path = runtime.readiness.path_for(plan.name)
    return [
        {
            "apiVersion": GKE_NETWORKING_API,
            "kind": "HealthCheckPolicy",
            "metadata": plan.serving.metadata(f"{service}-health"),
            "spec": {
                "default": {
                    "checkIntervalSec": runtime.readiness.period_seconds,
                    "timeoutSec": runtime.readiness.timeout_seconds,
                    "unhealthyThreshold": runtime.readiness.failure_threshold,
                    "config": {
                        "type": "HTTP",
                        "httpHealthCheck": {"portSpecification": "USE_SERVING_PORT", "requestPath": path},
                    },
                },
                "targetRef": {"group": "", "kind": "Service", "name": service},
            },
        }
        for service in (plan.name, f"{plan.name}-primary", f"{plan.name}-canary")
    ]
