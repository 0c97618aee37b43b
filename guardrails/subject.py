"""A resource as every gate sees it: its type token, logical name and wire-format inputs, plus the
Kubernetes shapes the rules read (pod spec, containers) in one place.

Secret values keep Pulumi's wire marker (what the offline engine records) so the secrets rule can
tell a secret from plain text; every other rule reads `plain`, with secrets revealed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Pulumi's wire encoding of a secret value: {SIG_KEY: SECRET_SIG, "value": ...} (pulumi.runtime.rpc).
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

# Kubernetes kinds that carry a pod template, and where their pod spec is.
_POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
BATCH_KINDS = frozenset({"Job", "CronJob"})


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def reveal(value: Any) -> Any:
    if is_secret(value):
        return reveal(value.get("value"))
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def dig(value: Any, *path: str) -> Any:
    """value[path[0]][path[1]]..., None as soon as a step is missing or not a mapping."""
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


@dataclass(frozen=True)
class Subject:
    type: str  # Pulumi type token, e.g. "kubernetes:apps/v1:Deployment", "gcp:container/nodePool:NodePool"
    name: str  # Pulumi logical name
    inputs: Mapping[str, Any]  # wire format, camelCase; secrets may still be wrapped
    urn: str = ""
    plain: Mapping[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "plain", reveal(dict(self.inputs)))

    @property
    def label(self) -> str:
        """How violations name the resource: its Kubernetes namespace/name when it has one."""
        name, namespace = dig(self.plain, "metadata", "name"), dig(self.plain, "metadata", "namespace")
        if self.is_kubernetes and name:
            return f"{self.kind} {namespace}/{name}" if namespace else f"{self.kind} {name}"
        return f"{self.type} {self.name}"

    @property
    def is_kubernetes(self) -> bool:
        return self.type.startswith("kubernetes:") and "kind" in self.plain

    @property
    def kind(self) -> str:
        return str(self.plain.get("kind", "")) if self.type.startswith("kubernetes:") else ""

    @property
    def namespace(self) -> str:
        return str(dig(self.plain, "metadata", "namespace") or "")

    @property
    def k8s_name(self) -> str:
        return str(dig(self.plain, "metadata", "name") or "")

    @property
    def labels(self) -> Mapping[str, str]:
        return dig(self.plain, "metadata", "labels") or {}

    @property
    def pod_spec(self) -> Mapping[str, Any] | None:
        path = _POD_SPEC_PATHS.get(self.kind)
        if path is None:
            return None
        spec = dig(self.plain, *path)
        return spec if isinstance(spec, Mapping) else {}

    @property
    def pod_labels(self) -> Mapping[str, str]:
        if self.kind == "Pod":
            return self.labels
        return dig(self.plain, "spec", "template", "metadata", "labels") or {}

    def containers(self, include_init: bool = True) -> list[Mapping[str, Any]]:
        spec = self.pod_spec or {}
        found = list(spec.get("containers") or [])
        if include_init:
            found += list(spec.get("initContainers") or [])
        return [c for c in found if isinstance(c, Mapping)]
