"""Predicates over Kubernetes containers and pod specs, shared by the rules (and mirrored by the CEL in
guardrails/admission.py, which the tests evaluate against the same objects)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from settings.gpu_node_pools import GPU_TAINT_KEY, SPOT_TAINT_KEY  # noqa: F401  (re-exported for the rules)

GPU_RESOURCE = "nvidia.com/gpu"
ACCELERATOR_LABEL = "cloud.google.com/gke-accelerator"
SPOT_LABEL = "cloud.google.com/gke-spot"
MAX_GPUS_PER_CONTAINER = 2  # the source documents' Kyverno policy limit-gpu-resources: nvidia.com/gpu <= 2

# RE2-compatible, so the CEL `matches()` in the admission policies uses the very same patterns.
DIGEST_PATTERN = r"@sha256:[0-9a-f]{64}$"
TAG_PATTERN = (
    r":[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"  # a tag on the last path segment (a registry port has a '/' after it)
)


def gpus(container: Mapping[str, Any]) -> int:
    """GPUs a container asks for (its limit; requests must equal limits for extended resources)."""
    limits = (container.get("resources") or {}).get("limits") or {}
    value = limits.get(GPU_RESOURCE)
    if value is None:
        return 0
    try:
        return int(float(str(value)))
    except ValueError:
        return 0


def pinned_by_digest(image: str) -> bool:
    return re.search(DIGEST_PATTERN, image) is not None


def tagged_not_latest(image: str) -> bool:
    return pinned_by_digest(image) or (re.search(TAG_PATTERN, image) is not None and not image.endswith(":latest"))


def tolerates(pod_spec: Mapping[str, Any], key: str) -> bool:
    """A NoSchedule taint with this key is tolerated (by key, or by a key-less Exists toleration)."""
    for toleration in pod_spec.get("tolerations") or []:
        effect = toleration.get("effect") or "NoSchedule"
        if effect != "NoSchedule":
            continue
        if toleration.get("key") == key or (not toleration.get("key") and toleration.get("operator") == "Exists"):
            return True
    return False


def selects_node_label(pod_spec: Mapping[str, Any], key: str, value: str | None = None) -> bool:
    """The pod's nodeSelector, or every required node-affinity term, asks for this node label."""
    selector = pod_spec.get("nodeSelector") or {}
    if key in selector and (value is None or selector[key] == value):
        return True
    required = ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    terms = required.get("nodeSelectorTerms") or []
    return bool(terms) and all(
        any(
            e.get("key") == key
            and e.get("operator") in ("In", "Exists")
            and (value is None or value in (e.get("values") or []))
            for e in term.get("matchExpressions") or []
        )
        for term in terms
    )
