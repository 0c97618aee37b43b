"""Who may reach the tracking server: default-deny ingress in its namespace, then the server's port for the
model namespaces (their download init containers), the monitoring namespace (scrapes, the delivery-metrics
job), the traffic layer, and with a Gateway route the load balancer's source ranges (the program and CI come
through it); the local PostgreSQL for the server's pods only."""

from __future__ import annotations

from typing import Any

from facts import mlflow_server as facts
from manifests.mlflow_server.objects import metadata
from manifests.mlflow_server.postgres import postgres_selector
from plan.mlflow_server import MlflowServerPlan


def _namespace_peer(namespace: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}


def _policy(plan: MlflowServerPlan, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(plan, name),
        "spec": spec,
    }


def network_policy_manifests(plan: MlflowServerPlan) -> list[dict[str, Any]]:
    clients = sorted({*plan.model_namespaces, plan.monitoring_namespace, *plan.traffic_namespaces})
    # With a route, the Google load balancer's proxies (and its health checks) connect from these ranges.
    balancer = [{"ipBlock": {"cidr": cidr}} for cidr in plan.route.source_cidrs] if plan.route else []
    policies = [
        _policy(plan, "default-deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]}),
        _policy(
            plan,
            "allow-tracking-clients",
            {
                "podSelector": {"matchLabels": plan.selector},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [_namespace_peer(ns) for ns in clients] + balancer,
                        "ports": [{"protocol": "TCP", "port": facts.PORT}],
                    }
                ],
            },
        ),
    ]
    if plan.store == "in-cluster":
        policies.append(
            _policy(
                plan,
                "allow-database-from-server",
                {
                    "podSelector": {"matchLabels": postgres_selector(plan)},
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {
                            "from": [{"podSelector": {"matchLabels": plan.selector}}],
                            "ports": [{"protocol": "TCP", "port": facts.POSTGRES_PORT}],
                        }
                    ],
                },
            )
        )
    return policies
