"""Every rule, in the order reports list them. Gates iterate this tuple; nothing else lists rules."""

from __future__ import annotations

from guardrails import (
    cost,
    rules_capacity,
    rules_containers,
    rules_gcp_labels,
    rules_gpu,
    rules_images,
    rules_secrets,
    rules_serving,
)
from guardrails.rule import Rule

RULES: tuple[Rule, ...] = (
    rules_gpu.GPU_LIMIT,
    rules_gpu.GPU_SCHEDULING,
    rules_images.IMAGE_TAG,
    rules_images.IMAGE_DIGEST,
    rules_containers.CONTAINER_RESOURCES,
    rules_containers.CONTAINER_SECURITY,
    rules_serving.AUTOSCALER_AND_PDB,
    rules_serving.DEFAULT_DENY,
    rules_capacity.BATCH_ON_SPOT,
    rules_capacity.PROD_ON_DEMAND,
    rules_gcp_labels.GCP_LABELS,
    rules_secrets.SECRETS,
    rules_serving.PROD_CANARY,
    cost.GPU_BUDGET,
)
RULE_IDS = frozenset(r.id for r in RULES)


def rule(rule_id: str) -> Rule:
    found = next((r for r in RULES if r.id == rule_id), None)
    if found is None:
        raise KeyError(f"no guardrail rule {rule_id!r}; known: {', '.join(sorted(RULE_IDS))}")
    return found
