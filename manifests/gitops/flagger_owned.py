"""The fields Flagger changes on objects Argo CD syncs from Git: defined once, for the Applications'
ignoreDifferences and for the canary builders (which must not set them either).

Sources (../shared/design/facts-delivery.md sections 3 and 4): Flagger scales the target Deployment to
zero after init and after each promotion (`ScaleToZero`) and an HPA moves it too; it overwrites the
selector and ports of an apex Service of the target's name that it does not own (reconcileService);
with gatewayapi it rewrites the HTTPRoute's backendRefs and their weights at every step
(pkg/router/gateway_api.go). Objects Flagger generates (`-primary`, `-canary`, the apex Service and the
HTTPRoute it creates) carry an ownerReference to the Canary, and Argo CD never prunes or diffs objects
with ownerReferences (gitops-engine cluster.go), so only objects that are also declared in Git need an
entry here. We declare neither the apex Service nor Flagger's HTTPRoute (components/serving leaves them
to Flagger), so the target Deployment's replicas are all that is left. An entry for every HTTPRoute
would also hide changes to the fallback switch's own route (manifests/delivery/fallback.py), which Argo
CD must apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class FlaggerOwnedField:
    group: str  # API group ("" for the core group)
    kind: str
    target: Literal["deployment"]  # which object of a model, by name
    json_pointers: tuple[str, ...] = ()
    jq_path_expressions: tuple[str, ...] = ()  # for list elements, which JSON pointers cannot address


FLAGGER_OWNED: tuple[FlaggerOwnedField, ...] = (
    FlaggerOwnedField("apps", "Deployment", "deployment", json_pointers=("/spec/replicas",)),
)


def ignore_differences(deployment: str) -> list[dict]:
    """Argo CD `spec.ignoreDifferences` entries for one model whose Canary targets `deployment`."""
    names = {"deployment": deployment}
    entries = []
    for owned in FLAGGER_OWNED:
        entry: dict = {"group": owned.group, "kind": owned.kind}
        entry["name"] = names[owned.target]
        if owned.json_pointers:
            entry["jsonPointers"] = list(owned.json_pointers)
        if owned.jq_path_expressions:
            entry["jqPathExpressions"] = list(owned.jq_path_expressions)
        entries.append(entry)
    return entries
