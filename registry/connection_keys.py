"""The stack config keys of the registry connection (full "project:key" names): the only list of them.

The provider's configure() reads exactly CONNECTION_KEYS; ops (promote, rollback) and the tests name
the same keys from here.
"""

from __future__ import annotations

from core.config_keys import config_key

CONFIG_URI = config_key("mlflowTrackingUri")
CONFIG_TOKEN = config_key("mlflowToken")
# MLflow's basic-auth app (a server with `--app-name basic-auth`): a user and its password (a secret). Sent as
# basic credentials when both are set, before the token, as MLflow's own client does.
CONFIG_USERNAME = config_key("mlflowUsername")
CONFIG_PASSWORD = config_key("mlflowPassword")
CONFIG_READ_TIMEOUT = config_key("mlflowTimeoutSeconds")
CONFIG_RETRIES = config_key("mlflowRetries")
CONFIG_DEADLINE = config_key("mlflowDeadlineSeconds")
# Those of them that are secrets: offline (ops) they are ciphertext, and the environment supplies them.
SECRET_CONNECTION_KEYS = (CONFIG_TOKEN, CONFIG_PASSWORD)
# Every stack config key the provider's configure() reads.
CONNECTION_KEYS = (
    CONFIG_URI,
    CONFIG_TOKEN,
    CONFIG_USERNAME,
    CONFIG_PASSWORD,
    CONFIG_READ_TIMEOUT,
    CONFIG_RETRIES,
    CONFIG_DEADLINE,
)
