"""Guardrail cases for the rules on one container or pod spec: GPU limits and scheduling, image tag and
digest, resources, security context."""

from __future__ import annotations

from tests.guard_objects import (
    C0,
    DELETE,
    DIGEST,
    POD,
    SPOT_TOLERATION,
    Case,
    deployment,
    k8s,
    patched,
)

_AFFINITY = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {
                    "matchExpressions": [
                        {"key": "cloud.google.com/gke-accelerator", "operator": "In", "values": ["nvidia-l4"]}
                    ]
                }
            ]
        }
    }
}

CONTAINER_CASES: tuple[Case, ...] = (
    # gpu-limit-per-container
    Case("gpu-limit-per-container", "pass-two-gpus", (k8s(deployment(gpus=2)),), False),
    Case("gpu-limit-per-container", "fail-three-gpus", (k8s(deployment(gpus=3)),), True),
    Case("gpu-limit-per-container", "missing-limits", (k8s(patched(deployment(), f"{C0}.resources", DELETE)),), False),
    # gpu-scheduling
    Case("gpu-scheduling", "pass-selector-and-toleration", (k8s(deployment(gpus=1)),), False),
    Case(
        "gpu-scheduling",
        "pass-affinity",
        (k8s(patched(patched(deployment(gpus=1), f"{POD}.nodeSelector", DELETE), f"{POD}.affinity", _AFFINITY)),),
        False,
    ),
    Case(
        "gpu-scheduling",
        "fail-other-toleration",
        (k8s(patched(deployment(gpus=1), f"{POD}.tolerations", [SPOT_TOLERATION])),),
        True,
    ),
    Case(
        "gpu-scheduling",
        "missing-selector-and-tolerations",
        (k8s(patched(patched(deployment(gpus=1), f"{POD}.tolerations", DELETE), f"{POD}.nodeSelector", DELETE)),),
        True,
    ),
    # image-tag
    Case("image-tag", "pass-tagged", (k8s(deployment()),), False),
    Case("image-tag", "fail-latest", (k8s(patched(deployment(), f"{C0}.image", "docker.io/x/server:latest")),), True),
    Case(
        "image-tag",
        "fail-port-is-not-a-tag",
        (k8s(patched(deployment(), f"{C0}.image", "localhost:5000/server")),),
        True,
    ),
    Case("image-tag", "missing-tag", (k8s(patched(deployment(), f"{C0}.image", "docker.io/x/server")),), True),
    Case("image-tag", "missing-image", (k8s(patched(deployment(), f"{C0}.image", DELETE)),), True),
    # image-digest (production only)
    Case(
        "image-digest",
        "pass-digest",
        (
            k8s(
                patched(
                    patched(deployment(), f"{C0}.image", f"docker.io/x/server:1.0{DIGEST}"),
                    f"{POD}.initContainers.0.image",
                    f"ghcr.io/mlflow/mlflow{DIGEST}",
                )
            ),
        ),
        False,
    ),
    Case("image-digest", "fail-tag-only", (k8s(deployment()),), True),
    Case("image-digest", "pass-tag-only-outside-prod", (k8s(deployment()),), False, environment="dev"),
    Case(
        "image-digest",
        "missing-image",
        (k8s(patched(patched(deployment(), f"{C0}.image", DELETE), f"{POD}.initContainers", [])),),
        False,
    ),
    # container-resources
    Case("container-resources", "pass", (k8s(deployment()),), False),
    Case(
        "container-resources",
        "fail-no-memory-limit",
        (k8s(patched(deployment(), f"{C0}.resources.limits.memory", DELETE)),),
        True,
    ),
    Case("container-resources", "missing-resources", (k8s(patched(deployment(), f"{C0}.resources", DELETE)),), True),
    # container-security
    Case("container-security", "pass", (k8s(deployment()),), False),
    Case(
        "container-security",
        "pass-non-root-from-pod",
        (
            k8s(
                patched(
                    patched(deployment(), f"{C0}.securityContext.runAsNonRoot", DELETE),
                    f"{POD}.securityContext",
                    {"runAsNonRoot": True},
                )
            ),
        ),
        False,
    ),
    Case(
        "container-security",
        "fail-escalation",
        (k8s(patched(deployment(), f"{C0}.securityContext.allowPrivilegeEscalation", True)),),
        True,
    ),
    Case(
        "container-security",
        "fail-root-user",
        (k8s(patched(deployment(), f"{C0}.securityContext.runAsUser", 0)),),
        True,
    ),
    Case(
        "container-security",
        "fail-writable-root",
        (k8s(patched(deployment(), f"{C0}.securityContext.readOnlyRootFilesystem", False)),),
        True,
    ),
    Case(
        "container-security",
        "missing-security-context",
        (k8s(patched(deployment(), f"{C0}.securityContext", DELETE)),),
        True,
    ),
)
