"""Feast, the feature store (settings/feature_store.py): its release, image, server command and the
feature_store.yaml keys the platform writes, and the Memorystore for Redis facts behind its online store.

Sources (read on 2026-12-03 with the search tool's fetch of github:feast-dev/feast, snapshot f0bc070 of
2026-08-21, newest tag v0.66.0; PyPI's index here lists feast 0.67.0, whose image tag that snapshot cannot
show, so the SDK and the image are pinned together at 0.66.0):
  [CHART]   infra/charts/feast-feature-server/values.yaml: image.repository quay.io/feastdev/feature-server,
            image.tag 0.66.0; templates/deployment.yaml: `feast serve -h 0.0.0.0`, containerPort 6566 (online
            mode), tcpSocket probes on it.
  [IMAGE]   sdk/python/feast/infra/feature_servers/multicloud/Dockerfile: ubi9 python-3.12, `USER 1001`;
            requirements.txt `feast[minimal]` (redis and gcp extras included). .github/workflows/
            publish_images.yml pushes to REGISTRY quay.io/feastdev.
  [SERVE]   sdk/python/feast/cli/serve.py: `--host/-h` (default 127.0.0.1), `--port/-p` (default 6566),
            `--no-access-log`, `--registry_ttl_sec/-r` (default 60); cli/cli.py: `--feature-store-yaml/-f`.
  [SERVER]  sdk/python/feast/feature_server.py: GET /health (200 once the registry lists projects, else
            503), POST /get-online-features.
  [CONFIG]  sdk/python/feast/repo_config.py load_repo_config: `yaml.safe_load(os.path.expandvars(...))`, so
            ${VAR} in feature_store.yaml is read from the environment: the Redis password stays in a Secret.
  [REDIS]   sdk/python/feast/infra/online_stores/redis.py RedisOnlineStoreConfig: type redis, redis_type,
            connection_string "host:port,param=value,..." (params passed to redis-py: password, ssl,
            ssl_ca_certs, db), key_ttl_seconds.
  [REGISTRY] sdk/python/feast/infra/registry/registry.py REGISTRY_STORE_CLASS_FOR_SCHEME: "gs" ->
            GCSRegistryStore, so `registry: gs://bucket/path/registry.db`; a plain path is a local file.
  [MEMORYSTORE] cloud.google.com/memorystore/docs/redis: tiers BASIC and STANDARD_HA, capacity 1-300 GB,
            AUTH (auth_enabled) and in-transit encryption (SERVER_AUTHENTICATION, port 6378 with TLS),
            connect modes DIRECT_PEERING (authorized_network) and PRIVATE_SERVICE_ACCESS.
  [REDIS-PRICING] cloud.google.com/memorystore/docs/redis/pricing, Iowa (us-central1), M1 band (1-4 GB)
            and M2 band (5-10 GB), per GB-hour, transcribed from memory of 2024-2025 list prices and NOT
            re-checked (no internet here): treat as estimates to about +-20%, like facts/gpu_prices.py.
"""

from __future__ import annotations

from dataclasses import dataclass

VERSION = "0.66.0"  # [CHART] image.tag; the SDK pin in feature_store/requirements.txt is the same
IMAGE = f"quay.io/feastdev/feature-server:{VERSION}"  # [CHART] image.repository, [IMAGE] registry
RUN_AS_USER = 1001  # [IMAGE] USER 1001
SERVER_PORT = 6566  # [SERVE] --port default, [CHART] containerPort in online mode
HEALTH_PATH = "/health"  # [SERVER]
ONLINE_FEATURES_PATH = "/get-online-features"  # [SERVER]
CONFIG_FILE = "feature_store.yaml"


def serve_command(config_path: str, port: int = SERVER_PORT, host: str = "0.0.0.0") -> list[str]:
    """`feast serve` as the Deployment runs it, and as the real test runs it on 127.0.0.1 ([SERVE])."""
    return ["feast", "-f", config_path, "serve", "-h", host, "-p", str(port), "--no-access-log"]


# feature_store.yaml keys ([CONFIG], [REDIS], [REGISTRY]); ${...} is expanded by Feast from the environment.
PASSWORD_ENV = "REDIS_PASSWORD"


def redis_connection_string(host: str, port: int, tls_ca_path: str | None = None) -> str:
    """[REDIS] connection_string; the password as ${REDIS_PASSWORD}, never its value ([CONFIG])."""
    parts = [f"{host}:{port}"]
    if tls_ca_path:
        parts += ["ssl=true", f"ssl_ca_certs={tls_ca_path}"]
    return ",".join([*parts, f"password=${{{PASSWORD_ENV}}}"])


# Redis on the local stack: the image Argo CD 10.1.1's chart already runs (tests/data/charts/
# argo-cd-10.1.1-values.yaml redis.image), so no new repository enters the Binary Authorization allowlist.
LOCAL_REDIS_IMAGE = "ecr-public.aws.com/docker/library/redis:8.2.3-alpine"
LOCAL_REDIS_USER = 999  # the image's redis user (the Argo CD chart runs it as 999 too)
REDIS_PORT = 6379
MEMORYSTORE_TLS_PORT = 6378  # [MEMORYSTORE] with transit encryption
MEMORYSTORE_REDIS_VERSION = "REDIS_7_2"  # [MEMORYSTORE] supported versions
MEMORYSTORE_TIERS = ("BASIC", "STANDARD_HA")
MEMORYSTORE_MIN_GB, MEMORYSTORE_MAX_GB = 1, 300


@dataclass(frozen=True)
class RedisPrice:
    tier: str
    min_gb: int  # capacity band, inclusive
    max_gb: int
    usd_per_gb_hour: float


# [REDIS-PRICING], us-central1. A size outside these bands has no price here: the cost line says unknown.
REDIS_PRICES: tuple[RedisPrice, ...] = (
    RedisPrice("BASIC", 1, 4, 0.049),
    RedisPrice("BASIC", 5, 10, 0.027),
    RedisPrice("STANDARD_HA", 1, 4, 0.064),
    RedisPrice("STANDARD_HA", 5, 10, 0.054),
)
REDIS_PRICES_AS_OF = "2024-2025 list prices, us-central1; not re-checked since"


def redis_monthly_usd(tier: str, memory_gb: int, hours_per_month: int = 730) -> float | None:
    """Capacity is billed whole, used or not ([REDIS-PRICING]); None when no band has a price."""
    price = next((p for p in REDIS_PRICES if p.tier == tier and p.min_gb <= memory_gb <= p.max_gb), None)
    return None if price is None else price.usd_per_gb_hour * memory_gb * hours_per_month
