"""What an offline run of the program registered and exported (ops/offline/engine.py records it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ops.resource_types import KUBERNETES_PROVIDER_TYPE


@dataclass
class RecordedResource:
    urn: str
    type: str
    name: str
    parent: str  # URN of the parent ("" for the stack's direct children)
    custom: bool
    inputs: dict  # wire format; secrets still wrapped (see is_secret / unwrap / mask)
    outputs: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)  # protect, provider, dependencies, ...


@dataclass
class ProgramRun:
    stack: str
    resources: list[RecordedResource]
    outputs: dict[str, Any]
    secret_outputs: set[str]
    warnings: list[str]

    def by_type(self, type_token: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_token]

    def kubernetes_objects(self) -> list[RecordedResource]:
        return [r for r in self.resources if r.type.startswith("kubernetes:") and "apiVersion" in r.inputs]

    def render_directories(self) -> dict[str, str | None]:
        """Each Kubernetes provider's URN -> its renderYamlToDirectory (None when it applies to a cluster)."""
        return {p.urn: p.inputs.get("renderYamlToDirectory") or None for p in self.by_type(KUBERNETES_PROVIDER_TYPE)}

    def render_directory(
        self, resource: RecordedResource, directories: dict[str, str | None] | None = None
    ) -> str | None:
        """The renderYamlToDirectory of the provider `resource` goes through, if it is a rendering one.
        Pass `render_directories()` when asking for many resources: looking the providers up per resource
        was quadratic (1.3 s of a 20-model dev render under cProfile)."""
        urn = resource.options.get("provider", "").rsplit("::", 1)[0]  # "<urn>::<id>" -> "<urn>"
        return (self.render_directories() if directories is None else directories).get(urn)


class ProgramError(Exception):
    """The program failed. `cause` is the original error (a ConfigError, a refused model version, ...);
    `resources` is what had been registered before it, which lets tests prove what a failure prevented."""

    def __init__(self, cause: BaseException, resources: list[RecordedResource]):
        self.cause = cause
        self.resources = resources
        super().__init__(str(cause))
