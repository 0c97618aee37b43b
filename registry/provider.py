"""The dynamic provider behind `ModelVersion`: a dynamic resource that turns a catalogue selector into one immutable MLflow model version.

One resource per (model, environment). Resolution happens in `check()`, so a preview (which calls only
check and diff) shows "version: 6 => 7" and every dependant sees the new version; create/update only
record the deployment in the registry (tag `deployed.<env>`, alias `<env>-live`).

Pickling rules (the provider is dill-pickled into the state by `pulumi.dynamic.Resource`, by reference
because this module is importable): the provider holds NOTHING on `self`. The connection (URI, token,
timeouts) that `configure()` reads lives in `_CONNECTIONS`, a per-process map keyed by the provider
object; clients and sessions are built per call. This module has no side effects at import.

HTTP budget per resolution (check), measured by benchmarks/bench_model_resolution.py:
- alias / pin / stage: 1 call for the version object (it carries tags, status, run id) + 1 runs/get
  (metrics) = 2. `latest`: 1 search page (usually) + 1 runs/get = 2.
- champion gate: the champion is the version deployed now, whose metrics are already in the old state:
  0 calls. Only a first deployment with no state asks the registry's `champion` alias (+2, or +0 when the
  selector itself is that alias).
- artifact_uri (get-download-uri) is a third call, so it is made in create/update/read, never in check:
  in a preview it is "known after apply", which is the truth for a version not yet deployed.
"""

# The class is pickled into every ModelVersion's state by module path (registry.provider.ModelVersionProvider):
# moving or renaming it breaks refresh and delete of every recorded ModelVersion. Do not move it.
from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)
from pulumi.runtime import rpc

from registry.client import (
    AliasNotFound,
    MlflowRegistryClient,
    ModelNotFound,
    RegistryError,
    VersionNotFound,
    metrics_of,
    tags_of,
)
from registry.connection import ConnectedProvider
from registry.resolution import GateRefused, ResolutionError, _iso, resolve_and_gate
from registry.version_args import (
    INPUT_KEYS,
    REPLACE_KEYS,
    RESOLVED_KEYS,
    UPDATE_KEYS,
    ModelVersionArgs,
    parse_selector,
    validate_args,
)

# -- the provider -------------------------------------------------------------------------------------


def _live_alias(env: str) -> str:
    return f"{env}-live"


def _deployed_tag(env: str) -> str:
    return f"deployed.{env}"


def _released_tag(env: str) -> str:
    """When the version first went live in env. Never removed: the delivery metrics (ops/metrics/) count
    deployments from it after `deployed.<env>` has moved on to a newer version."""
    return f"released.{env}.at"


def _record(
    client: MlflowRegistryClient,
    name: str,
    env: str,
    version: str,
    existing_tags: Mapping,
    known_tags: Mapping | None = None,
) -> None:
    """Idempotent: keeps an existing deployment time (an update that does not move the version is not a
    new deployment) and the first release time (`known_tags`: what the registry holds, when
    existing_tags is emptied to force a new deployment time); setting the alias moves it in one call."""
    if _deployed_tag(env) not in existing_tags:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        client.set_version_tag(name, version, _deployed_tag(env), now)
        if _released_tag(env) not in (existing_tags if known_tags is None else known_tags):
            client.set_version_tag(name, version, _released_tag(env), now)
    client.set_alias(name, _live_alias(env), version)


def _unrecord(client: MlflowRegistryClient, name: str, env: str, version: str) -> None:
    """Removes our tag, and the alias only while it still points at this version. Idempotent."""
    client.delete_version_tag(name, version, _deployed_tag(env), missing_ok=True)
    try:
        live = client.get_version_by_alias(name, _live_alias(env))
    except (AliasNotFound, ModelNotFound):
        return
    if str(live["version"]) == str(version):
        client.delete_alias(name, _live_alias(env))


def _props(props: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != "__provider"}


class ModelVersionProvider(ConnectedProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = {k: news[k] for k in INPUT_KEYS if k in news}
        if any(v == rpc.UNKNOWN for v in inputs.values()):
            return CheckResult(_props(news), [])  # a preview with unknown inputs: resolve at apply time
        args = ModelVersionArgs.from_inputs(inputs)
        problems = validate_args(args)
        if problems:
            return CheckResult(_props(news), [CheckFailure(f, f"{args.model or '?'}: {m}") for f, m in problems])
        olds = _olds or {}
        same_slot = (
            olds.get("registered_model") == args.registered_model
            and olds.get("environment") == args.environment
            and olds.get("version")
        )
        try:
            client = self._client()
            with client.resolution_deadline():  # one total deadline for every call of this resolution
                res = resolve_and_gate(
                    client,
                    args,
                    str(olds["version"]) if same_slot else None,
                    current_metrics=olds.get("metrics") if same_slot else None,
                    current_previous=olds.get("previous_version", "") if same_slot else "",
                )
        except GateRefused as exc:
            return CheckResult(_props(news), [CheckFailure("gates", str(exc))])
        except (ResolutionError, RegistryError) as exc:
            return CheckResult(_props(news), [CheckFailure("selector", str(exc))])
        for note in res.warnings:
            pulumi.log.warn(note)
        return CheckResult({**inputs, **res.to_inputs()}, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # Explicit keys only: changes=None would make the engine diff the pickled provider (pulumi#12401).
        replaces = [k for k in REPLACE_KEYS if olds.get(k) != news.get(k)]
        changed = [k for k in UPDATE_KEYS if _norm(k, olds.get(k)) != _norm(k, news.get(k))]
        return DiffResult(changes=bool(replaces or changed), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        props = _props(props)
        name, env, version = props["registered_model"], props["environment"], str(props["version"])
        client = self._client()
        if props.get("record", True):
            # The tags resolved in check() predate this create; a retried `up` (the first create recorded,
            # then the run failed) must keep the first deployment time, so ask the registry what it holds now.
            # One extra request, in create only: previews and renders never call it.
            tags = props.get("tags") or {}
            if _deployed_tag(env) not in tags:
                tags = tags_of(client.get_version(name, version))
            _record(client, name, env, version, tags)
        return CreateResult(f"{name}@{env}", self._outputs(client, props))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        news = _props(news)
        name, env, version = news["registered_model"], news["environment"], str(news["version"])
        old_version = str(olds.get("version") or "")
        client = self._client()
        if news.get("record", True):
            known = news.get("tags") or {}
            _record(client, name, env, version, known if old_version == version else {}, known)
        if old_version and olds.get("record", True) and (old_version != version or not news.get("record", True)):
            _unrecord(client, olds.get("registered_model", name), env, old_version)
        return UpdateResult(self._outputs(client, news))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        if props.get("record", True) and props.get("version"):
            try:
                _unrecord(self._client(), props["registered_model"], props["environment"], str(props["version"]))
            except (ModelNotFound, VersionNotFound):
                pass  # the model or version is gone: so is what we recorded on it

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh re-reads the deployed version's live facts (status, tags, aliases, metrics, artifact).
        It does not re-select: a moved alias is a change for the next `up` to show as "v6 => v7", not drift
        of what is deployed. A version deleted from the registry reads as gone."""
        props = _props(props)
        name, _, env = id_.rpartition("@")
        name, env = props.get("registered_model", name), props.get("environment", env)
        client = self._client()
        try:
            version = str(props.get("version") or client.get_version_by_alias(name, _live_alias(env))["version"])
            outs = self._outputs(
                client, {**props, "registered_model": name, "environment": env, "version": version}, refresh=True
            )
        except (ModelNotFound, VersionNotFound, AliasNotFound):
            return ReadResult("", {})
        inputs = {k: outs[k] for k in INPUT_KEYS + RESOLVED_KEYS if k in outs}
        return ReadResult(id_, outs, inputs)

    @staticmethod
    def _outputs(client: MlflowRegistryClient, props: dict[str, Any], refresh: bool = False) -> dict[str, Any]:
        """Reads back what create/update wrote (aliases, tags) plus the artifact location: outputs state
        what the registry holds, not what we hoped to write."""
        name, version = props["registered_model"], str(props["version"])
        mv = client.get_version(name, version)
        outs = {
            **props,
            "artifact_uri": client.get_download_uri(name, version),
            "aliases": list(mv.get("aliases", [])),
            "tags": tags_of(mv),
        }
        if refresh:
            run = client.get_run(mv["run_id"]) if mv.get("run_id") else {}
            outs.update(
                run_id=mv.get("run_id", ""),
                source=mv.get("source", ""),
                metrics=metrics_of(run),
                created_at=_iso(mv.get("creation_timestamp")),
            )
        return outs


def _norm(key: str, value: Any) -> Any:
    """Wire formats differ from Python ones (numbers arrive as floats): compare canonical forms."""
    if key == "selector":
        try:
            return parse_selector(value)
        except ValueError:
            return value
    if key == "version":
        return str(value) if value not in (None, "") else ""
    return value
