"""GKE: where the stack's own tracking server keeps its data. A Cloud SQL for PostgreSQL instance reachable on
a private IP only, with daily backups and point-in-time recovery, its database and user (the password a
Pulumi secret from pulumi-random), a versioned artifact bucket, and a Google service account, bound to the
server's Kubernetes ServiceAccount through Workload Identity, that may use only that bucket and that instance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp
import pulumi_random as random

from components.gcp.model_storage import lifecycle_rules
from components.gcp.workload_identity import KSA_ANNOTATION, bound_service_account, service_account_id
from facts import mlflow_server as facts
from settings.mlflow_server import CloudSqlSettings


@dataclass(frozen=True)
class CloudSqlStoreArgs:
    project: str
    region: str
    environment: str
    database: CloudSqlSettings
    bucket_name: str
    namespace: str  # the server's, for the Workload Identity member
    workload_pool: pulumi.Input[str]
    production: bool  # protect the instance and the bucket from `pulumi destroy`
    deletion_protection: bool  # Cloud SQL's own flag, and the provider's
    labels: dict[str, str] = field(default_factory=dict)


def instance_condition(project: str, instance: str) -> str:
    """roles/cloudsql.client on this one instance only (an IAM condition on the instance's resource name)."""
    return f'resource.name == "projects/{project}/instances/{instance}"'


class CloudSqlStore(pulumi.ComponentResource):
    connection_name: pulumi.Output[str]
    bucket_name: pulumi.Output[str]
    database_password: pulumi.Output[str]  # secret
    service_account_email: pulumi.Output[str]

    def __init__(self, name: str, args: CloudSqlStoreArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:data:CloudSqlStore", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        protected = pulumi.ResourceOptions(parent=self, protect=args.production)
        labels = {"environment": args.environment, "managed-by": "pulumi", "component": "mlflow", **args.labels}
        db = args.database
        instance_name = f"{facts.NAME}-{args.environment}"
        instance = gcp.sql.DatabaseInstance(
            f"{name}-instance",
            name=instance_name,
            project=args.project,
            region=args.region,
            database_version=facts.CLOUD_SQL_DATABASE_VERSION,
            deletion_protection=args.deletion_protection,
            settings={
                "tier": db.tier,
                # Custom and shared-core tiers exist in the Enterprise edition only (PostgreSQL 16+ defaults
                # to Enterprise Plus, which takes db-perf-optimized tiers).
                "edition": "ENTERPRISE",
                "availability_type": db.availability,
                "disk_size": db.disk_size_gb,
                "disk_autoresize": True,
                "deletion_protection_enabled": args.deletion_protection,
                "ip_configuration": {
                    "ipv4_enabled": False,  # no public address at all
                    "private_network": f"projects/{args.project}/global/networks/{db.network}",
                    "ssl_mode": "ENCRYPTED_ONLY",
                },
                "backup_configuration": {
                    "enabled": True,
                    "point_in_time_recovery_enabled": True,
                    "start_time": db.backup_start_time,
                    "transaction_log_retention_days": db.log_retention_days,
                    "backup_retention_settings": {"retained_backups": db.backups_retained, "retention_unit": "COUNT"},
                },
                "user_labels": labels,
            },
            opts=protected,
        )
        gcp.sql.Database(
            f"{name}-database", project=args.project, instance=instance.name, name=facts.DATABASE, opts=child
        )
        password = random.RandomPassword(f"{name}-database-password", length=32, special=False, opts=child)
        gcp.sql.User(
            f"{name}-database-user",
            project=args.project,
            instance=instance.name,
            name=facts.DATABASE_USER,
            password=password.result,
            opts=child,
        )
        bucket = gcp.storage.Bucket(
            f"{name}-artifacts",
            name=args.bucket_name,
            project=args.project,
            location=args.region,
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            versioning={"enabled": True},
            lifecycle_rules=lifecycle_rules(30, 5),
            force_destroy=not args.production,
            labels=labels,
            opts=protected,
        )
        account, member = bound_service_account(
            name,
            project=args.project,
            account_id=service_account_id(facts.NAME, args.environment),
            display_name=f"MLflow tracking server ({args.environment})",
            description=f"Workload Identity of {args.namespace}/{facts.NAME}; its artifact bucket and database only.",
            workload_pool=args.workload_pool,
            namespace=args.namespace,
            kubernetes_service_account=facts.NAME,
            opts=child,
        )
        gcp.storage.BucketIAMMember(
            f"{name}-artifacts-admin", bucket=bucket.name, role="roles/storage.objectAdmin", member=member, opts=child
        )
        gcp.projects.IAMMember(
            f"{name}-sql-client",
            project=args.project,
            role="roles/cloudsql.client",
            member=member,
            condition={
                "title": f"only {instance_name}",
                "expression": instance_condition(args.project, instance_name),
                "description": "the MLflow server's Cloud SQL Auth Proxy connects to its own instance only",
            },
            opts=child,
        )
        self.connection_name = instance.connection_name
        self.bucket_name = bucket.name
        self.database_password = password.result  # a secret Output
        self.service_account_email = account.email
        self.register_outputs(
            {"connectionName": self.connection_name, "bucket": self.bucket_name, "serviceAccount": account.email}
        )

    def service_account_annotations(self) -> dict[str, pulumi.Output[str]]:
        return {KSA_ANNOTATION: self.service_account_email}
