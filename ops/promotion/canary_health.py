"""Promote's canary check: the source stack's Canary, read live from its cluster.

The stack's `models` output names each model's Canary (`canary`: apiVersion, kind, namespace, name,
primaryDeployment; program/stack.py). A stack output is written at `up` time, before Flagger has
analysed anything, so the health itself is read from the cluster at promotion time: the Canary's
`status.phase` (Flagger's phases: Initialized, Waiting, Progressing, WaitingPromotion, Promoting,
Finalising, Succeeded, Failed, ...) and the version the `-primary` Deployment serves (the pod
template's mlops.platform/model-version, which Flagger copies from the canary when it promotes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.labels import MODEL_VERSION
from ops.kube_api import KubeClient, KubeError
from ops.promotion.context import PromotionRefused

# Succeeded: the last analysis promoted. Initialized: the first deployment, promoted without analysis
# (Flagger analyses changes, never the initial version).
HEALTHY_PHASES = ("Succeeded", "Initialized")


@dataclass(frozen=True)
class CanaryHealth:
    phase: str
    primary_version: str


CanaryReader = Callable[[dict[str, Any]], CanaryHealth]


def read_canary(client: KubeClient, ref: dict[str, Any]) -> CanaryHealth:
    group_version, namespace, name = str(ref["apiVersion"]), str(ref["namespace"]), str(ref["name"])
    canary = client.get_json(f"/apis/{group_version}/namespaces/{namespace}/canaries/{name}")
    primary = client.get_json(f"/apis/apps/v1/namespaces/{namespace}/deployments/{ref['primaryDeployment']}")
    labels = ((primary.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}
    return CanaryHealth(str((canary.get("status") or {}).get("phase") or ""), str(labels.get(MODEL_VERSION, "")))


def check_canary(entry: dict[str, Any], model: str, source: str, reader: CanaryReader) -> str:
    """Refuses unless `entry`'s Canary promoted exactly its version; returns what was checked."""
    ref = entry.get("canary")
    if not isinstance(ref, dict) or not {"apiVersion", "namespace", "name", "primaryDeployment"} <= set(ref):
        raise PromotionRefused(
            f"the `models` output of stack {source!r} names no canary for {model} (fix: run `up` on "
            f"{source} with this version of the platform, which exports it)"
        )
    version = str(entry["version"])
    try:
        health = reader(ref)
    except KubeError as exc:
        raise PromotionRefused(f"cannot read the canary of {model} in {source!r}: {exc}") from None
    where = f"Canary {ref['namespace']}/{ref['name']} in {source!r}"
    if health.phase not in HEALTHY_PHASES:
        raise PromotionRefused(
            f"{where} is {health.phase or 'without a status'!r}; promote only a version whose canary succeeded"
        )
    if health.primary_version != version:
        raise PromotionRefused(
            f"{where} is {health.phase}, but its primary serves v{health.primary_version or '?'}, not "
            f"v{version}: the rollout of v{version} has not been promoted there"
        )
    return f"{where}: {health.phase}, primary serves v{version}"
