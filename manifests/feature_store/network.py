"""NetworkPolicies of the feature store's namespace: nothing in or out by default, then the narrow allows.

In: the feature server only from the pods of models whose catalogue entry declares `features:` (each from
its own namespace), Redis only from the feature server. Out: DNS; the server to Redis (the in-cluster
Service, or Memorystore's address on GKE) and, on GKE, to Google APIs over HTTPS (the registry file in
GCS) and the metadata server (Workload Identity tokens).

The model namespaces themselves restrict ingress only (manifests/serving.py): an Egress policy there would
cut the model's other traffic (the download from MLflow, DNS) the moment it selects its pods, so the
reader's side is held by the ingress rule here, which admits no namespace the catalogue did not name.
"""

from __future__ import annotations

from typing import Any

from core.labels import MODEL
from facts.feast import MEMORYSTORE_TLS_PORT, REDIS_PORT, SERVER_PORT
from manifests.feature_store.redis import redis_selector
from manifests.feature_store.server import server_selector
from plan.feature_store import FeatureStorePlan

GKE_METADATA = "169.254.169.254/32"  # the GKE metadata server Workload Identity tokens come from
GKE_METADATA_PORTS = (80, 988)


def _policy(plan: FeatureStorePlan, name: str, spec: dict) -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": plan.metadata(name, "feature-store"),
        "spec": spec,
    }


def _dns() -> dict:
    return {
        "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }


def network_policy_manifests(plan: FeatureStorePlan, redis_cidr: Any = None) -> list[dict]:
    """`redis_cidr`: GKE only, Memorystore's host as a /32 (text, or an Output the component derives)."""
    readers = [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": r.namespace}},
            "podSelector": {"matchLabels": {MODEL: r.model}},
        }
        for r in plan.readers
    ]
    policies = [
        _policy(plan, "default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        _policy(
            plan,
            "allow-dns",
            {"podSelector": {}, "policyTypes": ["Egress"], "egress": [_dns()]},
        ),
    ]
    if readers:
        policies.append(
            _policy(
                plan,
                "allow-feature-readers",
                {
                    "podSelector": {"matchLabels": server_selector(plan)},
                    "policyTypes": ["Ingress"],
                    "ingress": [{"from": readers, "ports": [{"protocol": "TCP", "port": SERVER_PORT}]}],
                },
            )
        )
    if plan.gke:
        egress = [
            {"to": [{"ipBlock": {"cidr": redis_cidr}}], "ports": [{"protocol": "TCP", "port": MEMORYSTORE_TLS_PORT}]},
            {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]},
            {
                "to": [{"ipBlock": {"cidr": GKE_METADATA}}],
                "ports": [{"protocol": "TCP", "port": port} for port in GKE_METADATA_PORTS],
            },
        ]
    else:
        egress = [
            {
                "to": [{"podSelector": {"matchLabels": redis_selector()}}],
                "ports": [{"protocol": "TCP", "port": REDIS_PORT}],
            }
        ]
        policies.append(
            _policy(
                plan,
                "allow-redis-from-server",
                {
                    "podSelector": {"matchLabels": redis_selector()},
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {
                            "from": [{"podSelector": {"matchLabels": server_selector(plan)}}],
                            "ports": [{"protocol": "TCP", "port": REDIS_PORT}],
                        }
                    ],
                },
            )
        )
    policies.append(
        _policy(
            plan,
            "allow-server-egress",
            {"podSelector": {"matchLabels": server_selector(plan)}, "policyTypes": ["Egress"], "egress": egress},
        )
    )
    return policies
