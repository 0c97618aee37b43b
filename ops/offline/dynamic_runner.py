"""Run any Python dynamic provider the way the Pulumi provider host does, for the in-process render engine.

Under Pulumi mocks no provider host runs, so a `pulumi-python:dynamic:Resource` would get no outputs.
`run_dynamic` does what `python -m pulumi.dynamic` does for one resource (see pulumi/dynamic/__main__.py):
base64 + dill-unpickle `inputs["__provider"]` inside `_deserialize` (so captured Outputs deserialize),
`configure` it with a `ConfigureRequest` over the stack config, `check({}, inputs)` (no old state: a render
is always a first deployment), then `create` unless this is a preview or the provider says its create
changes the world (`offline_create = False`, e.g. a registry user: a render must never create one). Nothing
here knows ModelVersion.
"""

from __future__ import annotations

import base64
import os
from typing import Any

import dill
from pulumi.dynamic import Config, ConfigureRequest, ResourceProvider
from pulumi.runtime import rpc
from pulumi.runtime._serialization import _deserialize

PROVIDER_KEY = "__provider"
# A provider class attribute: False when create changes something outside the state (the offline run then
# treats the resource as in a preview: the checked inputs are its outputs, its id unknown).
OFFLINE_CREATE = "offline_create"


class DynamicProviderError(RuntimeError):
    """check() refused the inputs; the message lists every failure as `property: reason`."""

    def __init__(self, failures: list[tuple[str, str]]):
        self.failures = failures
        super().__init__("dynamic provider check failed:\n" + "\n".join(f"  {p}: {r}" for p, r in failures))


def load_provider(serialized: Any) -> ResourceProvider:
    """The provider object from its serialized form (maybe still wrapped as an RPC secret)."""
    serialized = rpc.unwrap_rpc_secret(serialized)
    if not isinstance(serialized, str):
        raise TypeError(
            f"{PROVIDER_KEY} must be the base64 string Resource serialized, got {type(serialized).__name__}"
        )
    return _deserialize(lambda: dill.loads(base64.b64decode(serialized)))


def _project() -> str:
    try:
        from pulumi.metadata import get_project

        return get_project() or os.environ.get("PULUMI_PROJECT", "project")
    except Exception:  # no Pulumi settings in this process: the host falls back the same way
        return os.environ.get("PULUMI_PROJECT", "project")


def run_dynamic(inputs: dict, config: dict[str, str], preview: bool) -> tuple[str, dict]:
    """(id, outputs) for one dynamic resource. Outputs = checked inputs overlaid with create's outputs,
    without `__provider`. In a preview the id is "" (unknown), as the engine reports it for a create."""
    if PROVIDER_KEY not in inputs:
        raise KeyError(f"not a dynamic resource: inputs have no {PROVIDER_KEY!r}")
    provider = load_provider(inputs[PROVIDER_KEY])
    provider.configure(ConfigureRequest(Config(raw_config=dict(config), project_name=_project())))
    checked_result = provider.check({}, dict(inputs))
    if checked_result.failures:
        raise DynamicProviderError([(f.property, f.reason) for f in checked_result.failures])
    checked = {k: v for k, v in checked_result.inputs.items() if k != PROVIDER_KEY}
    # ModelVersion's create only reads (a render turns recording off); a provider whose create writes opts out.
    if preview or not getattr(provider, OFFLINE_CREATE, True):
        return "", checked
    created = provider.create({**checked, PROVIDER_KEY: inputs[PROVIDER_KEY]})
    outs = {**checked, **(created.outs or {})}
    outs.pop(PROVIDER_KEY, None)
    return created.id, outs
