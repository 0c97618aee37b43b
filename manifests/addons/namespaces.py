"""Namespaces of the add-ons, each with the Pod Security level its workloads need."""

from __future__ import annotations

from typing import Any

from core.labels import PART_OF
from manifests.pod_security_namespace import PodSecurityLevel, pod_security_namespace

__all__ = ["PodSecurityLevel", "addon_namespace_manifest"]


def addon_namespace_manifest(name: str, level: PodSecurityLevel) -> dict[str, Any]:
    """`level`: kube-prometheus-stack's node exporter needs host access (privileged); the controllers
    and the load tester run as baseline (their charts do not set every field `restricted` demands)."""
    labels = {"app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi"}
    return pod_security_namespace(name, labels, level, modes=("enforce", "warn"))
