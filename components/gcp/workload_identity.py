"""A model's own Google identity: the Kubernetes service account its pods run as acts as a Google
service account (Workload Identity), which may read the artifact bucket and pull from the image
repository and nothing else. No keys exist anywhere: the GKE metadata server hands pods short-lived
tokens for the account named in the KSA annotation.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from plan.batch import StorageGrant

KSA_ANNOTATION = "iam.gke.io/gcp-service-account"

# Google service account ids: 6-30 characters, lowercase letters, digits and '-', starting with a
# letter and not ending with '-'.
_SA_ID = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")


def service_account_id(*parts: str) -> str:
    """A valid, stable account id from name parts; too-long names keep a prefix and a short hash
    of the whole, so two long names that share a prefix still get different ids."""
    raw = "-".join(parts).lower()
    cleaned = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", raw)).strip("-")
    if not cleaned or not cleaned[0].isalpha():
        cleaned = f"sa-{cleaned}".rstrip("-")
    if len(cleaned) > 30:
        digest = hashlib.sha256(raw.encode()).hexdigest()[:6]
        cleaned = f"{cleaned[:23].rstrip('-')}-{digest}"
    if len(cleaned) < 6:
        cleaned = f"{cleaned}-sa-id"[:30].rstrip("-")
    if not _SA_ID.match(cleaned):
        raise ValueError(f"cannot make a service account id from {parts!r}: got {cleaned!r}")
    return cleaned


def workload_identity_member(workload_pool: str, namespace: str, kubernetes_service_account: str) -> str:
    return f"serviceAccount:{workload_pool}[{namespace}/{kubernetes_service_account}]"


def bound_service_account(
    name: str,
    *,
    project: str,
    account_id: str,
    display_name: str,
    description: str,
    workload_pool: pulumi.Input[str],
    namespace: str,
    kubernetes_service_account: str,
    opts: pulumi.ResourceOptions,
) -> tuple[gcp.serviceaccount.Account, pulumi.Output[str]]:
    """A Google service account `{name}-gsa` that only `namespace/kubernetes_service_account` may act as
    (`{name}-workload-identity`); returns it and its IAM member string for the grants that follow."""
    account = gcp.serviceaccount.Account(
        f"{name}-gsa",
        project=project,
        account_id=account_id,
        display_name=display_name,
        description=description,
        opts=opts,
    )
    gcp.serviceaccount.IAMMember(
        f"{name}-workload-identity",
        service_account_id=account.name,
        role="roles/iam.workloadIdentityUser",
        member=pulumi.Output.from_input(workload_pool).apply(
            lambda pool: workload_identity_member(pool, namespace, kubernetes_service_account)
        ),
        opts=opts,
    )
    return account, account.email.apply(lambda email: f"serviceAccount:{email}")


@dataclass(frozen=True)
class ModelIdentityArgs:
    project: str
    model: str
    environment: str  # part of the account id, so environments sharing a project stay apart
    namespace: str
    kubernetes_service_account: str
    workload_pool: pulumi.Input[str]  # GkeCluster.workload_pool, "<project>.svc.id.goog"
    bucket: pulumi.Input[str]  # ModelStorage.bucket_name
    repository: pulumi.Input[str]  # ModelStorage.repository_id
    repository_location: str
    # Batch jobs: read their input, create objects under their output prefix, nothing else (IAM conditions).
    storage_grants: tuple[StorageGrant, ...] = ()


class ModelIdentity(pulumi.ComponentResource):
    email: pulumi.Output[str]
    ksa_annotations: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: ModelIdentityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:infra:ModelIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account, member = bound_service_account(
            name,
            project=args.project,
            account_id=service_account_id(args.model, args.environment),
            display_name=f"Model {args.model} ({args.environment})",
            description=f"Workload Identity of {args.namespace}/{args.kubernetes_service_account}; reads model artifacts only.",
            workload_pool=args.workload_pool,
            namespace=args.namespace,
            kubernetes_service_account=args.kubernetes_service_account,
            opts=child,
        )
        gcp.storage.BucketIAMMember(
            f"{name}-artifacts-reader",
            bucket=args.bucket,
            role="roles/storage.objectViewer",
            member=member,
            opts=child,
        )
        gcp.artifactregistry.RepositoryIamMember(
            f"{name}-images-reader",
            project=args.project,
            location=args.repository_location,
            repository=args.repository,
            role="roles/artifactregistry.reader",
            member=member,
            opts=child,
        )
        for grant in args.storage_grants:
            # Named by what it grants, so reordering the catalogue's jobs changes no resource.
            key = hashlib.sha256(f"{grant.bucket}/{grant.prefix}|{grant.role}".encode()).hexdigest()[:8]
            gcp.storage.BucketIAMMember(
                f"{name}-batch-{key}",
                bucket=grant.bucket,
                role=grant.role,
                member=member,
                condition=gcp.storage.BucketIAMMemberConditionArgs(
                    title=grant.title, expression=grant.condition(), description="batch inference (catalogue batch)"
                ),
                opts=child,
            )
        self.email = account.email
        self.ksa_annotations = account.email.apply(lambda email: {KSA_ANNOTATION: email})
        self.register_outputs({"email": self.email, "ksaAnnotations": self.ksa_annotations})
