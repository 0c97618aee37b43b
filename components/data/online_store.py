"""The feature store's Google side on GKE stacks: a Memorystore for Redis instance as Feast's online store
(AUTH on, TLS on, reachable only from the cluster's VPC) and the feature server's own Google identity,
which may read and write objects under feast/ of the artifact bucket (the registry file) and no other object."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.gcp.workload_identity import KSA_ANNOTATION, bound_service_account, service_account_id
from facts.feast import MEMORYSTORE_REDIS_VERSION
from plan.feature_store import REGISTRY_OBJECT, SERVER_NAME, FeatureStorePlan


@dataclass(frozen=True)
class OnlineStoreArgs:
    plan: FeatureStorePlan
    project: str
    region: str
    network: str  # the cluster's VPC name: Memorystore peers with it (DIRECT_PEERING)
    workload_pool: pulumi.Input[str]
    production: bool


def registry_condition(bucket: str) -> str:
    """IAM condition: objects under the registry's prefix only."""
    prefix = REGISTRY_OBJECT.rsplit("/", 1)[0]
    return f'resource.name.startsWith("projects/_/buckets/{bucket}/objects/{prefix}/")'


class OnlineStore(pulumi.ComponentResource):
    host: pulumi.Output[str]
    port: pulumi.Output[int]
    auth_string: pulumi.Output[str]  # a Pulumi secret
    ca_certificate: pulumi.Output[str]
    ksa_annotations: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: OnlineStoreArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:data:OnlineStore", name, None, opts)
        plan = args.plan
        child = pulumi.ResourceOptions(parent=self, protect=args.production)
        instance = gcp.redis.Instance(
            f"{name}-redis",
            project=args.project,
            region=args.region,
            name=f"{plan.environment}-feast",
            display_name=f"Feast online store ({plan.environment})",
            tier=plan.redis_tier,
            memory_size_gb=plan.redis_memory_gb,
            redis_version=MEMORYSTORE_REDIS_VERSION,
            authorized_network=f"projects/{args.project}/global/networks/{args.network}",
            connect_mode="DIRECT_PEERING",
            auth_enabled=True,
            transit_encryption_mode="SERVER_AUTHENTICATION",
            # RDB snapshots: what a restore starts from (docs/feature-store.md); materialisation rebuilds the rest.
            persistence_config={"persistence_mode": "RDB", "rdb_snapshot_period": "TWELVE_HOURS"},
            labels={"component": "feature-store"},
            deletion_protection=args.production,
            opts=child,
        )
        account, member = bound_service_account(
            name,
            project=args.project,
            account_id=service_account_id("feast", plan.environment),
            display_name=f"Feast feature server ({plan.environment})",
            description=f"Workload Identity of {plan.namespace}/{SERVER_NAME}; reads and writes the Feast registry (feast/) only.",
            workload_pool=args.workload_pool,
            namespace=plan.namespace,
            kubernetes_service_account=SERVER_NAME,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Feast's GCS registry store reads the bucket itself first (storage.buckets.get), and a server that finds
        # no registry file writes an empty one (registry.py: "Registry file not found. Creating new registry."),
        # so objects under feast/ only may be read and written; no other object of the bucket.
        gcp.storage.BucketIAMMember(
            f"{name}-registry-bucket",
            bucket=plan.bucket,
            role="roles/storage.legacyBucketReader",
            member=member,
            opts=pulumi.ResourceOptions(parent=self),
        )
        gcp.storage.BucketIAMMember(
            f"{name}-registry-objects",
            bucket=plan.bucket,
            role="roles/storage.objectUser",
            member=member,
            condition=gcp.storage.BucketIAMMemberConditionArgs(
                title="feast-registry", expression=registry_condition(plan.bucket), description="Feast registry"
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.host = instance.host
        self.port = instance.port
        self.auth_string = pulumi.Output.secret(instance.auth_string)
        self.ca_certificate = instance.server_ca_certs.apply(
            lambda certs: (certs[0].get("cert") if certs else None) or ""
        )
        self.ksa_annotations = account.email.apply(lambda email: {KSA_ANNOTATION: email})
        self.register_outputs({"host": self.host, "port": self.port, "ksaAnnotations": self.ksa_annotations})
