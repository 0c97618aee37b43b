"""GcpPlatform: what a GKE environment needs around the cluster to serve models safely.

A versioned artifact bucket and an image repository per environment (ModelStorage), the project's
Binary Authorization policy (enforced in prod), and per model a GCP identity bound through Workload
Identity to the model's Kubernetes ServiceAccount: no keys anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.gcp.binary_authorization import BinaryAuthorization, BinaryAuthorizationArgs
from components.gcp.model_storage import ModelStorage, ModelStorageArgs
from components.gcp.workload_identity import KSA_ANNOTATION, ModelIdentity, ModelIdentityArgs
from plan.batch import StorageGrant


@dataclass(frozen=True)
class ServedModel:
    name: str
    namespace: str
    service_account: str
    storage_grants: tuple[StorageGrant, ...] = ()  # batch jobs' input and output (plan/batch.py)


@dataclass(frozen=True)
class GcpPlatformArgs:
    project: str
    region: str
    environment: str
    production: bool
    workload_pool: pulumi.Input[str]
    models: tuple[ServedModel, ...]
    bucket_name: str
    image_repository: str
    scan_attestor: str
    allowlist: tuple[str, ...] = ()


class GcpPlatform(pulumi.ComponentResource):
    storage: ModelStorage
    identities: dict[str, ModelIdentity]

    def __init__(self, name: str, args: GcpPlatformArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:infra:GcpPlatform", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.storage = ModelStorage(
            f"{name}-storage",
            ModelStorageArgs(
                project=args.project,
                location=args.region,
                environment=args.environment,
                bucket_name=args.bucket_name,
                repository_id=args.image_repository,
                production=args.production,
            ),
            opts=child,
        )
        BinaryAuthorization(
            f"{name}-binary-authorization",
            BinaryAuthorizationArgs(
                project=args.project,
                production=args.production,
                attestor_name=args.scan_attestor,
                allowlist=args.allowlist,
            ),
            opts=child,
        )
        self.identities = {
            model.name: ModelIdentity(
                f"{name}-{model.name}-identity",
                ModelIdentityArgs(
                    project=args.project,
                    model=model.name,
                    environment=args.environment,
                    namespace=model.namespace,
                    kubernetes_service_account=model.service_account,
                    workload_pool=args.workload_pool,
                    bucket=self.storage.bucket_name,
                    repository=self.storage.repository_id,
                    repository_location=args.region,
                    storage_grants=model.storage_grants,
                ),
                opts=child,
            )
            for model in args.models
        }
        self.register_outputs({"bucket": self.storage.bucket_name, "repository": self.storage.repository_url})

    def service_account_annotations(self, model: str) -> dict[str, pulumi.Output[str]]:
        """What the model's Kubernetes ServiceAccount carries to act as its GCP identity."""
        return {KSA_ANNOTATION: self.identities[model].email}
