"""Protected infrastructure: in prod, `up` refuses to delete or replace it unless the operator says so.

A GPU node pool replacement evicts every model on it (changing the accelerator or driver version
replaces the pool: hashicorp/terraform-provider-google#23248), and a cluster replacement takes
everything down. `--allow-replace NAME` (a resource name or URN, repeatable) makes one expected.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ops.automation.changes import DESTRUCTIVE_OPS, ResourceChange

PROTECTED_TYPES = {
    "gcp:container/nodePool:NodePool": "GPU node pool",
    "gcp:container/cluster:Cluster": "GKE cluster",
}
VERBS = {"delete": "deleted", "discard": "discarded"}  # every other destructive op is part of a replacement
VERBS |= {op: "replaced" for op in DESTRUCTIVE_OPS if op not in VERBS}


@dataclass(frozen=True)
class Refusal:
    change: ResourceChange

    def __str__(self) -> str:
        what = PROTECTED_TYPES.get(self.change.type, self.change.type)
        why = f" (forced by {', '.join(self.change.replace_keys)})" if self.change.replace_keys else ""
        return (
            f"{what} {self.change.name} would be {VERBS.get(self.change.op, self.change.op)}{why}; "
            f"re-run with --allow-replace {self.change.name} if this is intended"
        )


def is_protected(change: ResourceChange) -> bool:
    return change.type in PROTECTED_TYPES and change.op in DESTRUCTIVE_OPS


def refusals(changes: Iterable[ResourceChange], allowed: Iterable[str] = ()) -> list[Refusal]:
    """Destructive changes to protected resources that no `allowed` name or URN covers, one per resource."""
    allowed = set(allowed)
    seen: set[str] = set()
    found = []
    for change in changes:
        if is_protected(change) and change.urn not in seen and not {change.name, change.urn} & allowed:
            seen.add(change.urn)
            found.append(Refusal(change))
    return found
