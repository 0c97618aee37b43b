"""The `featureStore` stack key: a Feast feature server for the stack's models, off unless a stack turns it on.

    mlops-platform:featureStore:
      enabled: true
      project: mlops                  # the Feast project (letters, digits, '_')
      replicas: 2                     # feature server pods
      redis: {tier: STANDARD_HA, memorySizeGb: 5}   # GKE stacks: the Memorystore instance

On GKE stacks the online store is Memorystore for Redis (AUTH and TLS on, reached over the cluster's
VPC) and the registry a file in the stack's artifact bucket; on kubeconfig stacks a Redis Deployment in
the feature store's namespace and a registry file on a volume. `redis` unset takes the environment's
profile below; prod refuses a BASIC instance (no replica, no failover: a zone outage empties the store).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from core.environments import Environment
from core.problems import Invalid
from core.spec import Located, Spec, located
from facts.feast import MEMORYSTORE_MAX_GB, MEMORYSTORE_MIN_GB

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_FEAST_PROJECT = re.compile(r"^[A-Za-z0-9_]+$")  # Feast: "letters, numbers, and underscores" only


class RedisSettings(Spec):
    tier: Literal["BASIC", "STANDARD_HA"] | None = Field(
        None, description="Memorystore tier; empty: STANDARD_HA in prod, BASIC elsewhere."
    )
    memory_size_gb: int | None = Field(
        None,
        ge=MEMORYSTORE_MIN_GB,
        le=MEMORYSTORE_MAX_GB,
        description="Memorystore capacity in GB (billed whole); empty: 5 in prod, 1 elsewhere.",
    )


# Per-environment profile of `redis` (the Memorystore instance; ignored on kubeconfig stacks).
REDIS_DEFAULTS: dict[str, tuple[str, int]] = {
    "local": ("BASIC", 1),
    "dev": ("BASIC", 1),
    "staging": ("BASIC", 1),
    "prod": ("STANDARD_HA", 5),
}


class FeatureStoreSettings(Spec):
    enabled: bool = Field(False, description="Provision the Feast feature server and its online store.")
    namespace: str = Field("feature-store", description="Namespace of the feature server and (local) Redis.")
    project: str = Field("mlops", description="The Feast project name in feature_store.yaml.")
    replicas: int = Field(2, ge=1, le=20, description="Feature server pods (a PodDisruptionBudget keeps one up).")
    redis: RedisSettings = Field(default_factory=RedisSettings)

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        if not _DNS_LABEL.match(value) or len(value) > 63:
            raise Invalid(f"{value!r} is not a namespace name", "a lowercase DNS label, e.g. feature-store")
        return value

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        if not _FEAST_PROJECT.match(value):
            raise Invalid(f"{value!r} is not a Feast project name", "letters, digits and '_' only, e.g. mlops")
        return value

    def redis_tier(self, environment: str) -> str:
        return self.redis.tier or REDIS_DEFAULTS[environment][0]

    def redis_memory_gb(self, environment: str) -> int:
        return self.redis.memory_size_gb or REDIS_DEFAULTS[environment][1]

    def problems(self, environment: Environment, gke: bool, reserved_namespaces: tuple[str, ...]) -> list[Located]:
        if not self.enabled:
            return []
        found = []
        if gke and environment == "prod" and self.redis_tier(environment) == "BASIC":
            found.append(
                located(
                    ("featureStore", "redis", "tier"),
                    "a BASIC Memorystore instance has no replica: a zone outage or maintenance empties prod's "
                    "online store and every model reading it fails",
                    "set featureStore.redis.tier: STANDARD_HA (or remove it for the prod default)",
                )
            )
        if self.namespace in reserved_namespaces:
            found.append(
                located(
                    ("featureStore", "namespace"),
                    f"namespace {self.namespace!r} is already used by the platform",
                    "choose another name, e.g. feature-store",
                )
            )
        return found
