"""The stack's feature store, decided once: where the Feast server runs, what its feature_store.yaml says,
and which models may read it (the catalogue's `features:`). Checked before any resource is registered:
a model that declares features on a stack without the feature store stops the run with the fix."""

from __future__ import annotations

from dataclasses import dataclass

from catalogue.schema import ModelSpec
from core.problems import ProblemCollector
from facts.feast import PASSWORD_ENV, SERVER_PORT
from settings.stack import StackSettings, config_key

SERVER_NAME = "feast-server"
REDIS_NAME = "redis"
PASSWORD_SECRET = "feast-redis-auth"  # the Secret holding REDIS_PASSWORD, in the feature store's namespace
PASSWORD_KEY = PASSWORD_ENV
CONFIG_MAP = "feast-config"
# Where the pods mount things (read-only ConfigMaps; the registry's volume on kubeconfig stacks).
CONFIG_DIR = "/etc/feast"
REDIS_CA_DIR = "/etc/feast-redis-ca"
REGISTRY_DIR = "/var/lib/feast"
REGISTRY_OBJECT = "feast/registry.db"  # under the artifact bucket on GKE stacks


@dataclass(frozen=True)
class FeatureReader:
    """A model that reads the feature store: its namespace may reach the server, its pods get the env."""

    model: str
    namespace: str
    service: str
    entity_key: str


@dataclass(frozen=True)
class FeatureStorePlan:
    namespace: str
    project: str  # the Feast project
    replicas: int
    environment: str
    gke: bool  # Memorystore + GCS registry; else an in-cluster Redis + a registry volume
    kubernetes_minor: int
    readers: tuple[FeatureReader, ...]
    bucket: str = ""  # GKE: the artifact bucket that holds the registry file
    redis_tier: str = "BASIC"
    redis_memory_gb: int = 1

    @property
    def labels(self) -> dict[str, str]:
        return {
            "app.kubernetes.io/part-of": "mlops-platform",
            "app.kubernetes.io/managed-by": "pulumi",
            "mlops.platform/environment": self.environment,
        }

    def metadata(self, name: str, component: str) -> dict:
        return {
            "name": name,
            "namespace": self.namespace,
            "labels": {**self.labels, "app.kubernetes.io/name": name, "app.kubernetes.io/component": component},
        }

    @property
    def server_url(self) -> str:
        return server_url(self.namespace)

    @property
    def registry_path(self) -> str:
        return f"gs://{self.bucket}/{REGISTRY_OBJECT}" if self.gke else f"{REGISTRY_DIR}/registry.db"


def server_url(namespace: str) -> str:
    return f"http://{SERVER_NAME}.{namespace}.svc.cluster.local:{SERVER_PORT}"


def feature_env(settings: StackSettings, model: ModelSpec) -> tuple[tuple[str, str], ...]:
    """What a reading model's server is told (catalogue/features_spec.py); nothing for the others, nor on a
    stack without the store (feature_store_plan refuses that combination before anything is registered)."""
    if not settings.feature_store.enabled or model.features is None:
        return ()
    return (
        ("FEAST_FEATURE_SERVER_URL", server_url(settings.feature_store.namespace)),
        ("FEAST_FEATURE_SERVICE", model.features.service),
        ("FEAST_ENTITY_KEY", model.features.entity_key),
    )


def feature_store_plan(settings: StackSettings, models: tuple[ModelSpec, ...]) -> FeatureStorePlan | None:
    """None when the stack has no feature store; a ConfigError when a served model needs one anyway."""
    store = settings.feature_store
    readers = tuple(
        FeatureReader(m.name, settings.namespace_for(m.name), m.features.service, m.features.entity_key)
        for m in models
        if m.features is not None
    )
    if not store.enabled:
        problems = ProblemCollector()
        for reader in readers:
            problems.add(
                f"{settings.models_dir}/{reader.model}.yaml",
                "features",
                f"model '{reader.model}' reads feature service '{reader.service}', but stack '{settings.stack}' "
                "has no feature store",
                f"set {config_key('featureStore')}: {{enabled: true}} in Pulumi.{settings.stack}.yaml, or remove "
                f"features from {settings.models_dir}/{reader.model}.yaml",
            )
        problems.raise_if_any()
        return None
    gke = settings.cluster.mode != "kubeconfig"
    return FeatureStorePlan(
        namespace=store.namespace,
        project=store.project,
        replicas=store.replicas,
        environment=settings.environment,
        gke=gke,
        kubernetes_minor=settings.kubernetes_minor,
        readers=readers,
        bucket=settings.bucket_name if gke else "",
        redis_tier=store.redis_tier(settings.environment),
        redis_memory_gb=store.redis_memory_gb(settings.environment),
    )
