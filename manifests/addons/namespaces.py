"""Namespaces of the add-ons, each with the Pod Security level its workloads need."""

from __future__ import annotations

from typing import Any, Literal

from core.labels import PART_OF

PodSecurityLevel = Literal["privileged", "baseline", "restricted"]


def addon_namespace_manifest(name: str, level: PodSecurityLevel) -> dict[str, Any]:
    """`level`: kube-prometheus-stack's node exporter needs host access (privileged); the controllers
    and the load tester run as baseline (their charts do not set every field `restricted` demands)."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {
                "app.kubernetes.io/part-of": PART_OF,
                "app.kubernetes.io/managed-by": "pulumi",
                "pod-security.kubernetes.io/enforce": level,
                "pod-security.kubernetes.io/warn": level,
            },
        },
    }
