"""The NetworkPolicies of a model's namespace: deny all ingress, then admit serving traffic from the
traffic layer and metrics scrapes from monitoring, both to the model's pods only (Flagger's
`-primary` pods included, through model_pods_selector)."""

from __future__ import annotations

from manifests.serving import model_pods_selector
from plan.serving_plan import ServingPlan


def network_policy_manifests(plan: ServingPlan) -> list[dict]:
    """Default-deny ingress for the namespace, then two narrow allows: serving traffic from the
    traffic layer, and metrics scrapes from monitoring."""
    runtime = plan.runtime
    serving_ports = [{"protocol": "TCP", "port": runtime.http_port}]
    if runtime.grpc_port:
        serving_ports.append({"protocol": "TCP", "port": runtime.grpc_port})
    traffic_peers = [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}} for ns in plan.traffic_namespaces
    ] + [{"ipBlock": {"cidr": cidr}} for cidr in plan.traffic_source_cidrs]
    policies = [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": plan.metadata("default-deny-ingress"),
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": plan.metadata("allow-metrics-scrape"),
            "spec": {
                "podSelector": {"matchLabels": model_pods_selector(plan)},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": plan.monitoring_namespace}
                                }
                            }
                        ],
                        # For a server with metrics on its serving port (vLLM) this also opens the API to
                        # monitoring: NetworkPolicy filters ports, not paths.
                        "ports": [{"protocol": "TCP", "port": runtime.metrics_port}],
                    }
                ],
            },
        },
    ]
    if traffic_peers:
        policies.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": plan.metadata("allow-serving-traffic"),
                "spec": {
                    "podSelector": {"matchLabels": model_pods_selector(plan)},
                    "policyTypes": ["Ingress"],
                    "ingress": [{"from": traffic_peers, "ports": serving_ports}],
                },
            }
        )
    return policies
