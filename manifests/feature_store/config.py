"""feature_store.yaml for the Feast server, as a ConfigMap. No secret in it: the Redis password is written
as ${REDIS_PASSWORD}, which Feast expands from the pod's environment (facts/feast.py [CONFIG]), and the
environment variable comes from a Secret."""

from __future__ import annotations

from typing import Any

import yaml

from facts.feast import CONFIG_FILE, redis_connection_string
from plan.feature_store import CONFIG_MAP, PASSWORD_KEY, PASSWORD_SECRET, REDIS_CA_DIR, FeatureStorePlan

REDIS_CA_FILE = "server-ca.pem"
REDIS_CA_CONFIG_MAP = "feast-redis-ca"


def feature_store_yaml(
    plan: FeatureStorePlan, redis_host: str, redis_port: int, tls: bool, registry_path: str | None = None
) -> str:
    """The file `feast serve -f` reads. `redis_host` is the Memorystore address on GKE (known once the
    instance exists: the component passes it through Output.apply) or the in-cluster Service's name.
    `registry_path` replaces the plan's (the real test points it at a temporary directory)."""
    config = {
        "project": plan.project,
        # The local provider on GKE too: the registry store follows the path's scheme (gs:// -> GCS), and
        # the gcp provider would only add BigQuery/Datastore defaults this server never uses.
        "provider": "local",
        "registry": {"registry_type": "file", "path": registry_path or plan.registry_path},
        "online_store": {
            "type": "redis",
            "redis_type": "redis",
            "connection_string": redis_connection_string(
                redis_host, redis_port, f"{REDIS_CA_DIR}/{REDIS_CA_FILE}" if tls else None
            ),
        },
        # Offline retrieval and materialisation run where the data is (a training job, CI), not in this server.
        "offline_store": {"type": "file"},
    }
    return yaml.safe_dump(config, sort_keys=False)


def config_map_manifest(plan: FeatureStorePlan, config_text: Any) -> dict:
    """`config_text`: feature_store_yaml(...), or an Output of it (the Memorystore host is an output)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": plan.metadata(CONFIG_MAP, "feature-server"),
        "data": {CONFIG_FILE: config_text},
    }


def redis_ca_manifest(plan: FeatureStorePlan, ca_pem: Any) -> dict:
    """Memorystore's server CA certificate (public, not a secret): redis-py verifies the TLS server with it."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": plan.metadata(REDIS_CA_CONFIG_MAP, "feature-server"),
        "data": {REDIS_CA_FILE: ca_pem},
    }


def password_secret_manifest(plan: FeatureStorePlan, password: Any) -> dict:
    """`password`: a secret Pulumi Output (Memorystore's AUTH string, or a generated one locally)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": plan.metadata(PASSWORD_SECRET, "feature-server"),
        "type": "Opaque",
        "stringData": {PASSWORD_KEY: password},
    }
