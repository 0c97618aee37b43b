"""A Namespace that enforces a Pod Security Standard: one builder for every namespace the platform creates
(models, add-ons, the MLflow server, the feature store)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

PodSecurityLevel = Literal["privileged", "baseline", "restricted"]
ALL_MODES = ("enforce", "audit", "warn")


def pod_security_namespace(
    name: str, labels: Mapping[str, str], level: str, modes: tuple[str, ...] = ALL_MODES
) -> dict[str, Any]:
    """`level` on each of `modes`: with `enforce` the API server itself refuses pods that break the
    standard, whatever created them."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {**labels, **{f"pod-security.kubernetes.io/{mode}": level for mode in modes}},
        },
    }
