"""Where an environment keeps its model artifacts (a GCS bucket) and its serving images (an
Artifact Registry Docker repository).

The bucket is private by construction (uniform bucket-level access, public access prevention
enforced), keeps older artifact versions for a while so a bad overwrite can be undone, and in
production can neither be destroyed with objects in it nor deleted by Pulumi at all (protect).
The repository has vulnerability scanning on (INHERITED: scans run when the Container Scanning
API is enabled in the project, which the Binary Authorization attestation flow relies on) and
cleanup policies that keep the newest images and drop old ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

SECONDS_PER_DAY = 86_400


def lifecycle_rules(
    noncurrent_version_days: int, noncurrent_versions_kept: int
) -> list[gcp.storage.BucketLifecycleRuleArgsDict]:
    """Delete an overwritten (noncurrent) artifact version after N days, or once K newer ones exist.
    Live versions are never touched."""
    return [
        {
            "action": {"type": "Delete"},
            "condition": {"with_state": "ARCHIVED", "days_since_noncurrent_time": noncurrent_version_days},
        },
        {
            "action": {"type": "Delete"},
            "condition": {"with_state": "ARCHIVED", "num_newer_versions": noncurrent_versions_kept},
        },
    ]


def cleanup_policies(
    images_kept: int, image_max_age_days: int
) -> list[gcp.artifactregistry.RepositoryCleanupPolicyArgsDict]:
    """Artifact Registry keeps an image that any KEEP policy matches even when a DELETE policy also
    matches it, so the newest images survive however old they are."""
    return [
        {"id": "keep-newest", "action": "KEEP", "most_recent_versions": {"keep_count": images_kept}},
        {
            "id": "delete-old",
            "action": "DELETE",
            "condition": {"tag_state": "ANY", "older_than": f"{image_max_age_days * SECONDS_PER_DAY}s"},
        },
    ]


@dataclass(frozen=True)
class ModelStorageArgs:
    project: str
    location: str  # region of the bucket and the repository, e.g. us-central1
    environment: str
    bucket_name: str  # global; default_bucket_name() gives a unique one
    repository_id: str  # e.g. "model-serving"
    production: bool  # protect both, and never destroy a bucket that still holds artifacts
    noncurrent_version_days: int = 30
    noncurrent_versions_kept: int = 5
    images_kept: int = 20
    image_max_age_days: int = 180
    immutable_tags: bool = True  # a tag always means the same image, so deployments are reproducible
    # Customer-managed key for artifacts (Google-managed when unset); the project's Cloud Storage
    # service agent needs roles/cloudkms.cryptoKeyEncrypterDecrypter on it.
    kms_key_name: str | None = None
    labels: dict[str, str] = field(default_factory=dict)


class ModelStorage(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_url: pulumi.Output[str]
    repository_id: pulumi.Output[str]
    repository_location: pulumi.Output[str]
    repository_url: pulumi.Output[str]  # the image prefix: <location>-docker.pkg.dev/<project>/<repo>

    def __init__(self, name: str, args: ModelStorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:infra:ModelStorage", name, None, opts)
        labels = {"environment": args.environment, "managed-by": "pulumi", **args.labels}
        protected = pulumi.ResourceOptions(parent=self, protect=args.production)
        bucket = gcp.storage.Bucket(
            f"{name}-artifacts",
            name=args.bucket_name,
            project=args.project,
            location=args.location,
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            versioning={"enabled": True},
            lifecycle_rules=lifecycle_rules(args.noncurrent_version_days, args.noncurrent_versions_kept),
            force_destroy=not args.production,
            encryption=gcp.storage.BucketEncryptionArgs(default_kms_key_name=args.kms_key_name)
            if args.kms_key_name
            else None,
            labels=labels,
            opts=protected,
        )
        repository = gcp.artifactregistry.Repository(
            f"{name}-images",
            project=args.project,
            location=args.location,
            repository_id=args.repository_id,
            format="DOCKER",
            description=f"Model serving images ({args.environment})",
            docker_config={"immutable_tags": args.immutable_tags},
            vulnerability_scanning_config={"enablement_config": "INHERITED"},
            cleanup_policies=cleanup_policies(args.images_kept, args.image_max_age_days),
            cleanup_policy_dry_run=False,
            labels=labels,
            opts=protected,
        )
        self.bucket_name = bucket.name
        self.bucket_url = bucket.url
        self.repository_id = repository.repository_id
        self.repository_location = repository.location
        self.repository_url = pulumi.Output.concat(
            repository.location, "-docker.pkg.dev/", args.project, "/", repository.repository_id
        )
        self.register_outputs(
            {"bucketName": self.bucket_name, "bucketUrl": self.bucket_url, "repositoryUrl": self.repository_url}
        )
