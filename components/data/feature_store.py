"""FeatureStore: the stack's Feast feature server and its online store, in their own namespace.

GKE stacks: Memorystore for Redis and a Workload Identity (components/data/online_store.py), the registry
file in the artifact bucket. Kubeconfig stacks: a Redis Deployment whose password pulumi-random
generates, and a registry volume. Both: feature_store.yaml as a ConfigMap, the password as a Secret, the
server's ServiceAccount, Deployment, Service, PodDisruptionBudget and NetworkPolicies.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_random as random

from components.data.online_store import OnlineStore, OnlineStoreArgs
from components.kube import kube_object
from facts.feast import REDIS_PORT
from manifests.feature_store import config, network, redis, server
from plan.feature_store import REDIS_NAME, FeatureStorePlan


@dataclass(frozen=True)
class FeatureStoreGcp:
    """What a GKE stack adds: where the Memorystore instance lives and the cluster's identity pool."""

    project: str
    region: str
    network: str
    workload_pool: pulumi.Input[str]
    production: bool


@dataclass(frozen=True)
class FeatureStoreArgs:
    plan: FeatureStorePlan
    gcp: FeatureStoreGcp | None = None  # None on kubeconfig stacks
    kube_provider: pulumi.ProviderResource | None = None


class FeatureStore(pulumi.ComponentResource):
    server_url: pulumi.Output[str]

    def __init__(self, name: str, args: FeatureStoreArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:data:FeatureStore", name, None, opts)
        plan = args.plan
        child = pulumi.ResourceOptions(parent=self)
        kube = pulumi.ResourceOptions(parent=self, provider=args.kube_provider)
        namespace = kube_object(f"{name}-namespace", server.namespace_manifest(plan), kube)
        in_ns = pulumi.ResourceOptions(parent=self, provider=args.kube_provider, depends_on=[namespace])

        annotations: pulumi.Input[dict[str, str]] | None = None
        if args.gcp is not None:
            store = OnlineStore(
                f"{name}-online",
                OnlineStoreArgs(
                    plan=plan,
                    project=args.gcp.project,
                    region=args.gcp.region,
                    network=args.gcp.network,
                    workload_pool=args.gcp.workload_pool,
                    production=args.gcp.production,
                ),
                opts=child,
            )
            password = store.auth_string
            config_text = pulumi.Output.all(store.host, store.port).apply(
                lambda hp: config.feature_store_yaml(plan, hp[0], int(hp[1]), tls=True)
            )
            kube_object(f"{name}-redis-ca", config.redis_ca_manifest(plan, store.ca_certificate), in_ns)
            redis_cidr = store.host.apply(lambda host: f"{host}/32")
            annotations = store.ksa_annotations
        else:
            # No special characters: Feast splits its connection string on ',' and '=' (facts/feast.py [REDIS]).
            password = random.RandomPassword(f"{name}-redis-password", length=32, special=False, opts=child).result
            config_text = pulumi.Output.from_input(
                config.feature_store_yaml(
                    plan, f"{REDIS_NAME}.{plan.namespace}.svc.cluster.local", REDIS_PORT, tls=False
                )
            )
            redis_cidr = None
            kube_object(f"{name}-registry", server.registry_claim_manifest(plan), in_ns)
            kube_object(f"{name}-redis", redis.redis_deployment_manifest(plan), in_ns)
            kube_object(f"{name}-redis-service", redis.redis_service_manifest(plan), in_ns)

        kube_object(f"{name}-redis-auth", config.password_secret_manifest(plan, pulumi.Output.secret(password)), in_ns)
        kube_object(f"{name}-config", config.config_map_manifest(plan, config_text), in_ns)
        kube_object(f"{name}-service-account", server.service_account_manifest(plan, annotations), in_ns)
        kube_object(f"{name}-deployment", server.deployment_manifest(plan), in_ns)
        kube_object(f"{name}-service", server.service_manifest(plan), in_ns)
        kube_object(f"{name}-pdb", server.pdb_manifest(plan), in_ns)
        for policy in network.network_policy_manifests(plan, redis_cidr):
            kube_object(f"{name}-{policy['metadata']['name']}", policy, in_ns)
        self.server_url = pulumi.Output.from_input(plan.server_url)
        self.register_outputs({"server_url": self.server_url})
