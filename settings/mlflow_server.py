"""The `mlflowServer` stack key: the stack's own MLflow tracking server, off unless a stack turns it on.

    mlops-platform:mlflowServer:
      enabled: true
      database: {tier: db-custom-1-3840}      # GKE: the Cloud SQL instance (defaults per environment)

On GKE it runs against a Cloud SQL for PostgreSQL instance (private IP only) through the Cloud SQL Auth
Proxy, with artifacts in a GCS bucket; on a kubeconfig cluster (`local`) against an in-cluster PostgreSQL
StatefulSet, with artifacts on a PersistentVolumeClaim. Sizes default from the environment's profile
(settings/mlflow_server_defaults.py); `mlflowServerProblems` holds what it needs from the rest of the stack.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from core.names import DNS_SUBDOMAIN, GCP_RESOURCE_NAME
from core.problems import Invalid
from core.quantities import Quantity
from core.spec import Located, Spec, located
from settings.addons import AddonsSettings, Resources, _dns_label
from settings.cluster import ClusterSettings

_CUSTOM_TIER = re.compile(r"^db-custom-(?P<cpus>\d+)-(?P<memory>\d+)$")
_SHARED_TIERS = ("db-f1-micro", "db-g1-small")
# Cloud SQL custom machine types: 1 or an even number of vCPUs up to 96, memory a multiple of 256 MB and
# 0.9 to 6.5 GB per vCPU (Cloud SQL for PostgreSQL, "Machine series ... custom machine types").
_MAX_VCPUS = 96
_MIN_MB_PER_VCPU, _MAX_MB_PER_VCPU = 922, 6656


def _tier(value: str) -> str:
    if value in _SHARED_TIERS:
        return value
    match = _CUSTOM_TIER.match(value)
    if not match:
        raise Invalid(
            f"{value!r} is not a Cloud SQL tier",
            "db-f1-micro, db-g1-small or db-custom-<vCPUs>-<memory MB>, e.g. db-custom-1-3840",
        )
    cpus, memory = int(match["cpus"]), int(match["memory"])
    if cpus < 1 or cpus > _MAX_VCPUS or (cpus > 1 and cpus % 2):
        raise Invalid(f"{value!r} has {cpus} vCPUs", f"use 1 or an even number up to {_MAX_VCPUS}")
    if memory % 256 or not _MIN_MB_PER_VCPU * cpus <= memory <= _MAX_MB_PER_VCPU * cpus:
        raise Invalid(
            f"{value!r} has {memory} MB for {cpus} vCPU(s)",
            f"a multiple of 256 MB between {_MIN_MB_PER_VCPU * cpus} and {_MAX_MB_PER_VCPU * cpus}, "
            f"e.g. db-custom-{cpus}-{3840 * cpus}",
        )
    return value


class CloudSqlSettings(Spec):
    """GKE: the Cloud SQL for PostgreSQL instance behind the tracking server."""

    tier: str
    availability: Literal["ZONAL", "REGIONAL"]
    disk_size_gb: int = Field(ge=10, le=65_536)
    # Automated daily backups are always on, and point-in-time recovery with them: the registry is the
    # record of what was deployed where, and losing it is not a cold-start problem.
    backups_retained: int = Field(ge=1, le=365)
    log_retention_days: int = Field(7, ge=1, le=7)  # transaction logs kept for point-in-time recovery
    backup_start_time: str = "03:00"
    # null: on in prod only. An instance with deletion protection cannot be destroyed until it is turned off.
    deletion_protection: bool | None = None
    # The VPC the instance's private IP lives in (private services access must be set up on it).
    network: str = "default"

    _tier = field_validator("tier")(_tier)

    @field_validator("backup_start_time")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", value):
            raise Invalid(f"{value!r} is not a time of day", "HH:MM in UTC, e.g. 03:00")
        return value

    @field_validator("network")
    @classmethod
    def _network(cls, value: str) -> str:
        if not GCP_RESOURCE_NAME.match(value):
            raise Invalid(f"{value!r} is not a VPC network name", "lowercase letters, digits, '-', e.g. default")
        return value


class LocalStoreSettings(Spec):
    """kubeconfig clusters: the in-cluster PostgreSQL and the artifact volume."""

    database_storage: Quantity = "5Gi"
    artifact_storage: Quantity = "10Gi"
    storage_class: str | None = None  # null: the cluster's default StorageClass
    database_resources: Resources

    @field_validator("storage_class")
    @classmethod
    def _storage_class(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > 253 or not DNS_SUBDOMAIN.match(value)):
            raise Invalid(
                f"{value!r} is not a StorageClass name", "lowercase letters, digits, '-' and '.', e.g. standard"
            )
        return value


class MlflowServerSettings(Spec):
    enabled: bool = False
    # The first `up` of a stack with its own server: the server it is about to create cannot answer yet, so
    # the program serves no model and does not ask the registry. A person sets it for that one `up`
    # (docs/mlflow-server.md); left on, the stack serves nothing.
    bootstrap: bool = False
    namespace: str = "mlflow"
    replicas: int = Field(1, ge=1, le=5)
    workers: int = Field(2, ge=1, le=16)  # server processes per replica
    resources: Resources
    # basic: MLflow's basic-auth app, its admin the program's own user (mlflowUsername, its password the
    # secret mlflowPassword); none: an open registry, refused in prod.
    auth: Literal["basic", "none"] = "basic"
    # basic: the user the model pods (download init containers, quality monitors, delivery metrics) sign in
    # as. The stack creates it with a generated password; every signed-in user may read, none may write
    # (the auth app's default permission, facts/mlflow_server.py). The program signs in as the admin.
    reader_username: str = "model-reader"
    database: CloudSqlSettings
    local: LocalStoreSettings
    # GKE: the artifact bucket; empty: <project>-<environment>-mlflow.
    artifact_bucket: str = ""

    _namespace = field_validator("namespace")(_dns_label)

    @field_validator("reader_username")
    @classmethod
    def _reader(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9._-]{1,62}", value):
            raise Invalid(
                f"{value!r} is not a user name", "2-63 lowercase letters, digits, '.', '_', '-', e.g. model-reader"
            )
        return value

    @field_validator("artifact_bucket")
    @classmethod
    def _bucket(cls, value: str) -> str:
        if value and not re.fullmatch(r"[a-z0-9][-a-z0-9_.]{1,61}[a-z0-9]", value):
            raise Invalid(f"{value!r} is not a bucket name", "3-63 lowercase letters, digits, '-', '_' or '.'")
        return value

    def bucket_for(self, project: str, environment: str) -> str:
        return self.artifact_bucket or f"{project}-{environment}-mlflow"

    def deletion_protected(self, production: bool) -> bool:
        protection = self.database.deletion_protection
        return production if protection is None else protection


def mlflow_server_problems(
    server: MlflowServerSettings,
    environment: str,
    cluster: ClusterSettings,
    addons: AddonsSettings,
    model_namespaces_prefix: str,
    *,
    has_password: bool,
) -> list[Located]:
    """What the server needs from the rest of the stack, every problem at once."""
    if not server.enabled:
        return []
    problems = []
    if environment == "prod" and server.auth == "none":
        problems.append(
            located(
                ("mlflowServer", "auth"),
                "an open registry is not acceptable in prod: anyone who reaches it could move the alias a "
                "deployment follows",
                "use auth: basic",
            )
        )
    if server.auth == "basic" and not has_password:
        problems.append(
            located(
                ("mlflowPassword",),
                "the stack's own server uses basic auth and the program signs in as its admin user "
                "(mlflowUsername), whose password is not set",
                "run `pulumi config set --secret mlflowPassword <at least 12 characters>`: the server creates its "
                "admin with it on its first start (docs/mlflow-server.md, Credentials)",
            )
        )
    if model_namespaces_prefix and server.namespace.startswith(model_namespaces_prefix):
        problems.append(
            located(
                ("mlflowServer", "namespace"),
                f"{server.namespace!r} starts with the model namespace prefix {model_namespaces_prefix!r}, so "
                "a model could one day be given the same namespace",
                "use a namespace outside the prefix, e.g. mlflow",
            )
        )
    return problems
