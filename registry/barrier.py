"""`VersionsResolved(name, versions, opts)`: one resource that exists only once every ModelVersion resolved.

Why: the cluster and every serving stack must not change while any model version fails to resolve. Making
each of them depend on every ModelVersion grows the graph with the square of the catalogue (500 models:
250,000 dependsOn edges); making them depend on this one barrier, which depends on every ModelVersion,
keeps that guarantee with N + (N + 2) edges. It must be a custom resource: a dependency on a local
ComponentResource is expanded to its children by the SDK, and a childless component would order nothing.
A dynamic resource needs no extra provider plugin (ModelVersion already uses the Python dynamic provider).

The provider holds nothing and touches nothing: create records the names of the models it waited for.
"""

# VersionsResolvedProvider is pickled into the barrier's state by module path (registry.barrier): moving or
# renaming it breaks refresh and delete of every recorded barrier. Do not move it.
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

BARRIER_ID = "versions-resolved"


class VersionsResolvedProvider(ResourceProvider):
    serialize_as_secret_always = False

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # Explicit keys only: changes=None would make the engine diff the pickled provider (pulumi#12401).
        return DiffResult(changes=olds.get("models") != news.get("models"), replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(BARRIER_ID, {"models": list(props.get("models") or [])})

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({"models": list(news.get("models") or [])})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


class VersionsResolved(Resource):
    """Depends on every ModelVersion given; depend on it to wait until all of them resolved."""

    models: pulumi.Output[list]

    def __init__(self, name: str, versions: Mapping[str, pulumi.Resource], opts: pulumi.ResourceOptions | None = None):
        """`versions`: catalogue model name -> its ModelVersion."""
        super().__init__(
            VersionsResolvedProvider(),
            name,
            {"models": sorted(versions)},
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(versions.values()))),
        )
