"""Which catalogue models the registry has no version of yet: on a stack that provisions its own, empty MLflow
server, those wait for their first registration instead of failing the whole `up`.

One call per model (get registered model), and a second (one search page of one version) only for a model
that exists: what `ModelVersion` would have spent failing on it. Anything else the registry says (no answer,
an error, an odd answer) is raised as it is: only "this model has nothing yet" means waiting.
"""

from __future__ import annotations

from collections.abc import Sequence

from registry.client import MlflowRegistryClient, ModelNotFound


def awaiting_first_registration(client: MlflowRegistryClient, models: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """`models`: (catalogue name, registered model name); returns the catalogue names with no version yet."""
    waiting = []
    for name, registered in models:
        try:
            client.get_registered_model(registered)
        except ModelNotFound:
            waiting.append(name)
            continue
        if next(iter(client.search_versions(registered, page_size=1)), None) is None:
            waiting.append(name)
    return tuple(waiting)
