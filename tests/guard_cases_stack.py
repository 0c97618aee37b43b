"""Guardrail cases for the rules over the whole stack: cost labels, secrets as secret config, a canary per
prod model, the GPU budget."""

from __future__ import annotations

from tests.guard_objects import (
    BUCKET,
    C0,
    POOL,
    Case,
    bucket,
    canary,
    deployment,
    gcp,
    hpa,
    k8s,
    node_pool,
    patched,
    registry_secret,
    secret_value,
)

STACK_CASES: tuple[Case, ...] = (
    # gcp-cost-labels
    Case("gcp-cost-labels", "pass", (gcp(BUCKET, bucket({"team": "t", "cost-centre": "c"})),), False),
    Case("gcp-cost-labels", "fail-team-only", (gcp(BUCKET, bucket({"team": "t"})),), True),
    Case("gcp-cost-labels", "missing-labels", (gcp(BUCKET, bucket(None)),), True),
    Case("gcp-cost-labels", "missing-pool-labels", (gcp(POOL, node_pool(labels={})),), True),
    # secrets-as-secret-config
    Case(
        "secrets-as-secret-config", "pass-secret-ref-and-secret", (k8s(registry_secret(secret_value("tok-1"))),), False
    ),
    Case("secrets-as-secret-config", "fail-plain-secret", (k8s(registry_secret("tok-1")),), True),
    Case(
        "secrets-as-secret-config",
        "fail-token-in-env",
        (k8s(patched(deployment(), f"{C0}.env", [{"name": "HF_TOKEN", "value": "hf_" + "x" * 34}])),),
        True,
    ),
    Case(
        "secrets-as-secret-config",
        "fail-password-in-url",
        (k8s(patched(deployment(), f"{C0}.args", ["--db=postgresql://ml:hunter22@db:5432/features"])),),
        True,
    ),
    Case(
        "secrets-as-secret-config",
        "pass-password-reference-in-url",  # the kubelet fills $(VAR) from an env entry read from a Secret
        (
            k8s(
                patched(deployment(), f"{C0}.env", [{"name": "DB_URI", "value": "postgresql://ml:$(DB_PASSWORD)@db/f"}])
            ),
        ),
        False,
    ),
    Case(
        "secrets-as-secret-config",
        "fail-password-beside-a-reference",
        (k8s(patched(deployment(), f"{C0}.env", [{"name": "DB_URI", "value": "postgresql://ml:$(X)y@db/f"}])),),
        True,
    ),
    Case("secrets-as-secret-config", "missing-env", (k8s(deployment()),), False),
    # prod-model-canary
    Case("prod-model-canary", "pass", (k8s(deployment()), k8s(canary())), False),
    Case("prod-model-canary", "fail-canary-targets-another", (k8s(deployment()), k8s(canary("other"))), True),
    Case("prod-model-canary", "missing-canary", (k8s(deployment()),), True),
    Case("prod-model-canary", "missing-canary-outside-prod", (k8s(deployment()),), False, environment="staging"),
    # gpu-budget
    Case("gpu-budget", "pass-within", (gcp(POOL, node_pool(max_nodes=3)),), False, gpu_budget=4),
    Case(
        "gpu-budget",
        "fail-two-gpus-per-node",
        (gcp(POOL, node_pool(max_nodes=3, machine="g2-standard-24")),),
        True,
        gpu_budget=4,
    ),
    Case(
        "gpu-budget",
        "fail-canary-pods",  # 3 pool GPUs + 3 canary pods x 1 GPU (HPA maxReplicas 3) = 6 > 4
        (gcp(POOL, node_pool(max_nodes=3)), k8s(deployment(gpus=1)), k8s(hpa()), k8s(canary())),
        True,
        gpu_budget=4,
    ),
    Case("gpu-budget", "missing-budget", (gcp(POOL, node_pool(max_nodes=1)),), True),
    Case("gpu-budget", "missing-budget-without-gpus", (k8s(deployment()),), False),
)
