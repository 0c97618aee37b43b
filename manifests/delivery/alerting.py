"""Flagger's AlertProvider for one model's canary events, its webhook URL kept in a Secret.

The URL is secret stack config (`alertWebhookUrl`): it reaches the cluster only as a Pulumi secret
inside a Secret (key `address`, which Flagger reads through `secretRef`), never in plain config.
"""

from __future__ import annotations

from typing import Any

from manifests.delivery.analysis import FLAGGER_API
from manifests.delivery.canary import ALERT_PROVIDER
from plan.delivery import DeliveryPlan

ADDRESS_KEY = "address"


def alert_secret_name(plan: DeliveryPlan) -> str:
    return f"{ALERT_PROVIDER}-webhook"


def alert_secret_manifest(plan: DeliveryPlan, webhook_url: Any) -> dict:
    """`webhook_url` is a secret Output in the program; a plain string in tests."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": plan.serving.metadata(alert_secret_name(plan)),
        "type": "Opaque",
        "stringData": {ADDRESS_KEY: webhook_url},
    }


def alert_provider_manifest(plan: DeliveryPlan) -> dict:
    return {
        "apiVersion": FLAGGER_API,
        "kind": "AlertProvider",
        "metadata": plan.serving.metadata(ALERT_PROVIDER),
        "spec": {"type": plan.alert_channel, "secretRef": {"name": alert_secret_name(plan)}},
    }
