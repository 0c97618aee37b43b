"""The typed settings of one stack: what `Pulumi.yaml` declares plus the stack file's overrides.

Field defaults are deliberately absent for scalar keys: Pulumi.yaml's `config:` block is their
only home, and the CLI (or ops.stack_config offline) supplies them. Structured keys (cluster,
gpuNodePools, addons, guardrails, gitops, modelPins, featureStore) cannot be typed there, so their models carry their own defaults.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from core.config_keys import PROJECT, config_key  # noqa: F401  (re-exported for settings users)
from core.environments import ENVIRONMENTS, Environment
from core.names import default_bucket_name
from core.problems import Invalid
from core.spec import Spec, raise_located
from core.uris import strip_credentials, tracking_uri_problem
from facts.kubernetes_versions import SCHEMA_VERSIONS
from facts.mlflow_server import in_cluster_uri
from settings.addon_checks import addons_problems
from settings.addon_defaults import with_environment_defaults
from settings.addons import AddonsSettings
from settings.batch_node_pool import BatchNodePoolSettings, batch_node_pool_problems
from settings.cluster import ClusterSettings
from settings.delivery import DeliverySettings
from settings.environment_rules import environment_problems
from settings.feature_store import FeatureStoreSettings
from settings.gitops import GitopsSettings
from settings.gpu_node_pools import GpuNodePoolSettings, gpu_node_pool_problems
from settings.guardrails import GuardrailSettings, budget_problems
from settings.mlflow_server import MlflowServerSettings, mlflow_server_problems
from settings.mlflow_server_defaults import with_environment_defaults as with_server_defaults
from settings.quality import QualitySettings

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class StackSettings(Spec):
    stack: str = Field(description="The Pulumi stack name (not a config key).")
    environment: Environment
    kubernetes_version: str
    models_dir: str
    models: tuple[str, ...]
    namespace_prefix: str
    pod_security_level: Literal["restricted", "baseline"]
    monitoring_namespace: str
    traffic_namespaces: tuple[str, ...]
    traffic_source_cidrs: tuple[str, ...]
    artifact_bucket: str
    image_repository: str
    scan_attestor: str
    binary_authorization_allowlist: tuple[str, ...]
    mlflow_tracking_uri: str
    mlflow_serving_tracking_uri: str
    mlflow_timeout_seconds: int = Field(ge=1, le=300)
    mlflow_retries: int = Field(ge=0, le=10)
    mlflow_deadline_seconds: int = Field(ge=0, le=3600)
    mlflow_username: str
    record_deployments: bool
    has_mlflow_token: bool = Field(
        False, description="Whether mlflowToken is set; the value itself stays a Pulumi secret Output."
    )
    has_mlflow_password: bool = Field(
        False, description="Whether mlflowPassword is set; the value itself stays a Pulumi secret Output."
    )
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)
    gpu_node_pools: tuple[GpuNodePoolSettings, ...] = ()
    batch_node_pool: BatchNodePoolSettings | None = Field(
        None, description="The spot CPU pool the catalogue's batch jobs run on (settings/batch_node_pool.py)."
    )
    guardrails: GuardrailSettings = Field(default_factory=GuardrailSettings)
    gitops: GitopsSettings = Field(default_factory=GitopsSettings)
    model_pins: dict[str, int] = Field(
        default_factory=dict,
        description="model -> registry version served regardless of the catalogue selector; set and cleared "
        "by `python -m ops rollback` / `promote`. A pin bypasses the quality gates, as {version: N} does.",
    )
    addons: AddonsSettings = Field(
        description="Platform add-ons (settings/addons.py); each field defaults from the environment's profile."
    )

    @model_validator(mode="before")
    @classmethod
    def _addons_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict):
            cluster = data.get("cluster")
            if isinstance(cluster, dict):
                mode = cluster.get("mode", "kubeconfig")
            else:
                mode = getattr(cluster, "mode", "kubeconfig")
            environment = str(data.get("environment"))
            data = {
                **data,
                "addons": with_environment_defaults(environment, mode, data.get("addons")),
                "mlflowServer": with_server_defaults(environment, data.get("mlflowServer")),
            }
        return data

    mlflow_server: MlflowServerSettings = Field(
        description="The stack's own MLflow tracking server (settings/mlflow_server.py); off unless turned on."
    )

    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    quality: QualitySettings = Field(default_factory=QualitySettings)
    feature_store: FeatureStoreSettings = Field(
        default_factory=FeatureStoreSettings, description="The Feast feature server (settings/feature_store.py)."
    )

    @field_validator("kubernetes_version")
    @classmethod
    def _minor_version(cls, value: str) -> str:
        if not re.fullmatch(r"1\.\d{2}", value):
            raise Invalid(f"{value!r} is not a Kubernetes minor version", 'write it like "1.33"')
        if value not in SCHEMA_VERSIONS:
            raise Invalid(
                f"{value!r} has no schema to validate manifests against",
                f"use one of {', '.join(SCHEMA_VERSIONS)} (the schemas kubernetes-validate ships)",
            )
        return value

    @field_validator("namespace_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if value and not re.fullmatch(r"[a-z0-9][-a-z0-9]*", value):
            raise Invalid(f"{value!r} cannot start a namespace name", "lowercase letters, digits and '-', e.g. ml-")
        return value

    @field_validator("monitoring_namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        if not _DNS_LABEL.match(value):
            raise Invalid(f"{value!r} is not a namespace name", "a lowercase DNS label")
        return value

    @field_validator("traffic_namespaces")
    @classmethod
    def _namespaces(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            cls._namespace(name)
        return value

    @field_validator("traffic_source_cidrs")
    @classmethod
    def _cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr)
            except ValueError:
                raise Invalid(f"{cidr!r} is not a CIDR block", "write e.g. 10.0.0.0/8") from None
        return value

    @field_validator("model_pins")
    @classmethod
    def _pins(cls, value: dict[str, int]) -> dict[str, int]:
        bad = sorted(f"{model}: {version}" for model, version in value.items() if version < 1)
        if bad:
            raise Invalid(f"registry versions start at 1, got {', '.join(bad)}", "pin an existing version")
        return value

    @field_validator("mlflow_username")
    @classmethod
    def _username(cls, value: str) -> str:
        if not value or ":" in value or any(c.isspace() for c in value):
            raise Invalid(
                f"{value!r} is not a basic-auth user name", "a name without ':' or spaces, e.g. admin (the default)"
            )
        return value

    @field_validator("mlflow_tracking_uri", "mlflow_serving_tracking_uri")
    @classmethod
    def _uri(cls, value: str, info: ValidationInfo) -> str:
        if not value and info.field_name == "mlflow_serving_tracking_uri":
            return value  # empty: pods use mlflowTrackingUri
        problem = tracking_uri_problem(value)
        if problem:
            # Never the value itself: it may carry a password. tracking_uri_problem shows it stripped.
            raise Invalid(*problem)
        return strip_credentials(value).rstrip("/")

    @model_validator(mode="after")
    def _stack_matches_environment(self):
        # A stack named after an environment deploying another environment's versions is almost
        # certainly a copy-paste slip, and in prod an expensive one.
        if self.stack in ENVIRONMENTS and self.stack != self.environment:
            raise Invalid(
                f"stack {self.stack!r} deploys environment {self.environment!r}",
                f"set {PROJECT}:environment: {self.stack} in Pulumi.{self.stack}.yaml",
            )
        return self

    @model_validator(mode="after")
    def _cluster_fits_pools_and_environment(self):
        raise_located(
            "StackSettings",
            gpu_node_pool_problems(self.cluster, self.gpu_node_pools)
            + batch_node_pool_problems(self.cluster, self.gpu_node_pools, self.batch_node_pool)
            + environment_problems(self.environment, self.cluster)
            + self.gitops.problems(self.environment)
            + addons_problems(self.addons, self.cluster, self.traffic_namespaces)
            + self.delivery.problems(self.environment)
            + budget_problems(self.guardrails, self.gpu_node_pools, self.environment)
            + self.feature_store.problems(
                self.environment,
                gke=self.cluster.mode != "kubeconfig",
                reserved_namespaces=(
                    self.monitoring_namespace,
                    *self.traffic_namespaces,
                    self.mlflow_server.namespace,
                    "kube-system",
                    "default",
                ),
            )
            + mlflow_server_problems(
                self.mlflow_server,
                self.environment,
                self.cluster,
                self.addons,
                self.namespace_prefix,
                has_password=self.has_mlflow_password,
            ),
        )
        return self

    @property
    def production(self) -> bool:
        return self.environment == "prod"

    @property
    def kubernetes_minor(self) -> int:
        return int(self.kubernetes_version.split(".")[1])

    @property
    def registry_deadline(self) -> int:
        """Total seconds per registry request and per resolution; 0 in config means derived."""
        return self.mlflow_deadline_seconds or self.mlflow_timeout_seconds * (self.mlflow_retries + 1)

    @property
    def pods_tracking_uri(self) -> str:
        """Empty mlflowServingTrackingUri: the stack's own server's Service where it provisions one, else
        mlflowTrackingUri."""
        if self.mlflow_serving_tracking_uri:
            return self.mlflow_serving_tracking_uri
        if self.mlflow_server.enabled:
            return in_cluster_uri(self.mlflow_server.namespace)
        return self.mlflow_tracking_uri

    @property
    def bucket_name(self) -> str:
        return self.artifact_bucket or default_bucket_name(self.cluster.project or "", self.environment)

    @property
    def image_registry(self) -> str:
        """Where this stack pulls the images built from this repository (settings/quality.py)."""
        if self.quality.image_registry:
            return self.quality.image_registry
        if self.cluster.mode != "kubeconfig" and self.cluster.project and self.cluster.region:
            return f"{self.cluster.region}-docker.pkg.dev/{self.cluster.project}/{self.image_repository}"
        return ""

    def namespace_for(self, model_name: str) -> str:
        return f"{self.namespace_prefix}{model_name}"


def declared_keys() -> dict[str, Any]:
    """Config keys a stack may set, by alias (excluding `stack`, which is not config)."""
    return {
        f.alias or name: f
        for name, f in StackSettings.model_fields.items()
        if name not in ("stack", "has_mlflow_token", "has_mlflow_password")
    }
