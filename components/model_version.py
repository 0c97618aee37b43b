"""`ModelVersion`: a dynamic resource that turns a catalogue selector into one immutable MLflow model version.

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
from __future__ import annotations

import logging
import os
import threading
import warnings
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

import pulumi
from pulumi.dynamic import (
    CheckFailure, CheckResult, ConfigureRequest, CreateResult, DiffResult, ReadResult, Resource,
    ResourceProvider, UpdateResult,
)
from pulumi.runtime import rpc

from components.mlflow_registry import (
    DEFAULT_READ_TIMEOUT, DEFAULT_RETRIES, AliasNotFound, MlflowRegistryClient, ModelNotFound, RegistryError,
    VersionNotFound, metrics_of, tags_of,
)
from components.model_gates import Verdict, VersionFacts, evaluate, validate_gates
from settings.errors import ConfigError, Problem

ENVIRONMENTS = ("local", "dev", "staging", "prod")
STAGES = ("None", "Staging", "Production", "Archived")
CONFIG_URI = "mlops-platform:mlflowTrackingUri"
CONFIG_TOKEN = "mlops-platform:mlflowToken"
CONFIG_READ_TIMEOUT = "mlops-platform:mlflowTimeoutSeconds"
CONFIG_RETRIES = "mlops-platform:mlflowRetries"
INPUT_KEYS = ("model", "registered_model", "environment", "selector", "gates", "record")
RESOLVED_KEYS = ("version", "run_id", "source", "created_at", "metrics", "tags", "gate", "previous_version")
OUTPUT_ONLY_KEYS = ("artifact_uri", "aliases")  # need extra calls: made in create/update/read, not check
# Diff policy. registered_model and environment are the resource's identity (its id is "<model>@<env>",
# and the `<env>-live` alias and `deployed.<env>` tag live on that model): changing them is a different
# deployment, so replace. A new version in the same slot is an UPDATE, not a replace: update moves the
# alias atomically, whereas create-before-delete would set the alias on the new version and then let the
# old resource's delete find and remove it. The other inputs change what is recorded or reported.
REPLACE_KEYS = ("registered_model", "environment")
UPDATE_KEYS = ("version", "model", "selector", "gates", "record")

log = logging.getLogger(__name__)


# -- args and selectors -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ModelVersionArgs:
    model: str  # catalogue name, e.g. "churn-prediction" (messages use it)
    registered_model: str  # MLflow registered model name
    environment: str  # one of ENVIRONMENTS
    selector: dict = field(default_factory=lambda: {"alias": "champion"})  # exactly one of alias/stage/version/latest
    gates: dict = field(default_factory=dict)  # {} = no gates; see components/model_gates.py
    record: bool = True  # tag `deployed.<env>` and alias `<env>-live` on create/update

    def to_inputs(self) -> dict[str, Any]:
        return {"model": self.model, "registered_model": self.registered_model, "environment": self.environment,
                "selector": dict(self.selector), "gates": dict(self.gates), "record": self.record}

    @classmethod
    def from_inputs(cls, inputs: Mapping[str, Any]) -> "ModelVersionArgs":
        return cls(model=inputs.get("model", ""), registered_model=inputs.get("registered_model", ""),
                   environment=inputs.get("environment", ""), selector=inputs.get("selector") or {},
                   gates=inputs.get("gates") or {}, record=inputs.get("record", True))


def parse_selector(selector: Any) -> tuple[str, Any]:
    """(kind, canonical value). Raises ValueError with the fix. Numbers arrive as floats over gRPC."""
    example = "{alias: champion}, {stage: Production}, {version: 7} or {latest: true}"
    if not isinstance(selector, Mapping) or len(selector) != 1:
        raise ValueError(f"selector {selector!r} must have exactly one key (fix: use one of {example})")
    (kind, value), = selector.items()
    if kind == "alias" and isinstance(value, str) and value.strip():
        return kind, value.strip()
    if kind == "stage" and isinstance(value, str):
        for stage in STAGES:
            if value.lower() == stage.lower():
                return kind, stage
        raise ValueError(f"stage {value!r} is not an MLflow stage (fix: one of {', '.join(STAGES)}, or an alias)")
    if kind == "version" and not isinstance(value, bool):
        if isinstance(value, (int, float)) and value == int(value) and value >= 1:
            return kind, str(int(value))
        if isinstance(value, str) and value.isdigit() and int(value) >= 1:
            return kind, str(int(value))
    if kind == "latest" and value is True:
        return kind, True
    raise ValueError(f"selector {{{kind}: {value!r}}} is not valid (fix: use one of {example})")


def validate_args(args: ModelVersionArgs) -> list[tuple[str, str]]:
    """[(field, message with fix)], [] when valid."""
    problems = []
    for name in ("model", "registered_model"):
        if not isinstance(getattr(args, name), str) or not getattr(args, name):
            problems.append((name, f"{name} must be a non-empty string"))
    if args.environment not in ENVIRONMENTS:
        problems.append(("environment", f"{args.environment!r} is not an environment (fix: one of "
                                        f"{', '.join(ENVIRONMENTS)})"))
    try:
        parse_selector(args.selector)
    except ValueError as exc:
        problems.append(("selector", str(exc)))
    problems += [("gates", p) for p in validate_gates(args.gates)]
    if not isinstance(args.record, bool):
        problems.append(("record", f"record must be true or false, got {args.record!r}"))
    return problems


# -- errors -------------------------------------------------------------------------------------------

class ResolutionError(Exception):
    """The selector cannot be turned into a READY version. Names model, selector, registry and the fix."""

    def __init__(self, args: ModelVersionArgs, registry: str, message: str, fix: str = ""):
        self.model, self.selector, self.registry = args.model, args.selector, registry
        text = (f"{args.model} ({args.environment}): cannot resolve selector {args.selector} of registered model "
                f"'{args.registered_model}' at MLflow registry {registry}: {message}")
        super().__init__(f"{text} (fix: {fix})" if fix else text)


class GateRefused(Exception):
    """A gate refused the candidate. The message names the model, both versions and their metrics."""

    def __init__(self, args: ModelVersionArgs, verdict: Verdict, registry: str):
        self.model, self.verdict, self.registry = args.model, verdict, registry
        champ = verdict.champion.describe() if verdict.champion else "none"
        super().__init__(
            f"{args.model} ({args.environment}): gates refused candidate {verdict.candidate.describe()} selected by "
            f"{args.selector} from '{args.registered_model}' at {registry}; champion {champ}: "
            + "; ".join(verdict.reasons)
            + " (fix: promote a better version, or pin {version: N} to force a rollback; evidence is never bypassed)"
        )


# -- resolution ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Resolution:
    args: ModelVersionArgs
    version: str
    run_id: str
    source: str
    created_at: str
    metrics: dict
    tags: dict
    verdict: Verdict
    previous_version: str
    aliases: tuple[str, ...] | None = None  # when the answer carried them; not part of check's inputs
    warnings: tuple[str, ...] = ()

    def to_inputs(self) -> dict[str, Any]:
        return {"version": self.version, "run_id": self.run_id, "source": self.source,
                "created_at": self.created_at, "metrics": dict(self.metrics), "tags": dict(self.tags),
                "gate": self.verdict.to_dict(), "previous_version": self.previous_version}


def _iso(ms: Any) -> str:
    return datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc).isoformat(timespec="seconds") if ms else ""


def _candidate(client: MlflowRegistryClient, args: ModelVersionArgs, kind: str, value: Any,
               notes: list[str]) -> tuple[dict, tuple[str, ...] | None]:
    """The selected version object (1 call, or a few search pages for `latest`) and its aliases if known."""
    name = args.registered_model
    if kind == "alias":
        mv = client.get_version_by_alias(name, value)
        return mv, tuple(mv.get("aliases", []))
    if kind == "version":
        mv = client.get_version(name, value)
        return mv, tuple(mv.get("aliases", []))
    if kind == "stage":
        notes.append(f"{args.model}: selector {{stage: {value}}} uses MLflow stages, deprecated since MLflow 2.9; "
                     f"use an alias instead, e.g. {{alias: champion}}")
        rm = client.get_registered_model(name)  # latest_versions = the newest version of each stage
        in_stage = [mv for mv in rm.get("latest_versions", []) if mv.get("current_stage") == value]
        if not in_stage:
            raise ResolutionError(args, client.display_uri, f"no version is in stage {value}",
                                  f"transition a version to {value}, or better, select by alias")
        mv = in_stage[0]
        return mv, tuple(a["alias"] for a in rm.get("aliases", []) if a.get("version") == mv["version"])
    seen = 0
    for mv in client.search_versions(name, page_size=20):  # newest first; usually the first page decides
        seen += 1
        if mv.get("status") == "READY":
            return mv, None
    if not seen:
        client.get_registered_model(name)  # raises ModelNotFound when that is the reason
    raise ResolutionError(args, client.display_uri, f"none of its {seen} version(s) is READY",
                          "wait for registration to finish, or register a version")


def _champion(client: MlflowRegistryClient, args: ModelVersionArgs, candidate: VersionFacts,
              current_version: str | None, current_metrics: Mapping | None, selected_by: tuple[str, Any]
              ) -> VersionFacts | None:
    """The version deployed in this environment now; where none, the registry's `champion` alias."""
    if current_version:
        if current_version == candidate.version:
            return candidate
        if current_metrics is None:
            mv = client.get_version(args.registered_model, current_version)
            current_metrics = metrics_of(client.get_run(mv["run_id"])) if mv.get("run_id") else {}
        return VersionFacts(str(current_version), dict(current_metrics))
    if selected_by == ("alias", "champion"):
        return candidate  # the candidate was just read through that very alias: no second call
    try:
        mv = client.get_version_by_alias(args.registered_model, "champion")
    except AliasNotFound:
        return None
    if mv["version"] == candidate.version:
        return candidate
    return VersionFacts(mv["version"], metrics_of(client.get_run(mv["run_id"])) if mv.get("run_id") else {})


def resolve_and_gate(client: MlflowRegistryClient, args: ModelVersionArgs, current_version: str | None,
                     *, current_metrics: Mapping | None = None, current_previous: str = "") -> Resolution:
    """Selector -> READY version -> gates. Raises ResolutionError or GateRefused.

    current_version is what is deployed in args.environment now (None if nothing); current_metrics, when
    given (the provider has them in the old state), saves the calls to fetch the champion's metrics."""
    problems = validate_args(args)
    if problems:
        raise ResolutionError(args, client.display_uri, "; ".join(f"{f}: {m}" for f, m in problems))
    kind, value = parse_selector(args.selector)
    notes: list[str] = []
    pinned = kind == "version"
    try:
        mv, aliases = _candidate(client, args, kind, value, notes)
        if mv.get("status") != "READY":
            raise ResolutionError(args, client.display_uri,
                                  f"version {mv['version']} is {mv.get('status')}, not READY",
                                  "wait for its registration to finish, or select another version")
        run = client.get_run(mv["run_id"]) if mv.get("run_id") else {}
        candidate = VersionFacts(str(mv["version"]), metrics_of(run), tags_of(mv))
        if pinned:  # quality gates are bypassed: spend no calls on a champion, report the deployed one if known
            champion = (VersionFacts(str(current_version), dict(current_metrics or {}))
                        if current_version and current_version != candidate.version else None)
        elif (args.gates or {}).get("champion") is not None:
            champion = _champion(client, args, candidate, current_version, current_metrics, (kind, value))
        else:
            champion = None
    except RegistryError as err:
        raise ResolutionError(args, client.display_uri, err.message, err.fix) from None
    for note in notes:
        warnings.warn(note, FutureWarning, stacklevel=2)
    verdict = evaluate(candidate, champion, args.gates, pinned=pinned)
    if not verdict.passed:
        raise GateRefused(args, verdict, client.display_uri)
    previous = current_previous if current_version == candidate.version else (current_version or "")
    return Resolution(args, candidate.version, mv.get("run_id", ""), mv.get("source", ""),
                      _iso(mv.get("creation_timestamp")), dict(candidate.metrics), dict(candidate.tags), verdict,
                      previous, aliases, tuple(notes))


def resolve_many(client: MlflowRegistryClient, jobs: list[ModelVersionArgs | tuple[ModelVersionArgs, str | None]],
                 max_workers: int = 8) -> list[Resolution | Exception]:
    """Resolve many models concurrently (the client keeps one session per thread). Results come back in
    order; a failure is returned in its slot instead of hiding the other results."""
    def one(job):
        args, current = job if isinstance(job, tuple) else (job, None)
        try:
            return resolve_and_gate(client, args, current)
        except (ResolutionError, GateRefused) as exc:
            return exc
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        return list(pool.map(one, jobs))


# -- connection: per process, never on the provider ---------------------------------------------------

@dataclass(frozen=True)
class Connection:
    uri: str
    token: str | None = field(default=None, repr=False)
    read_timeout: float = DEFAULT_READ_TIMEOUT
    retries: int = DEFAULT_RETRIES

    def client(self) -> MlflowRegistryClient:
        if not self.uri:
            raise RegistryError("no tracking URI configured", registry="<unset>",
                                fix=f"set stack config {CONFIG_URI} (or env MLFLOW_TRACKING_URI)")
        return MlflowRegistryClient(self.uri, self.token, read_timeout=self.read_timeout, retries=self.retries)


def connection_settings(config: Mapping[str, Any], environ: Mapping[str, str]) -> Connection:
    """Env overrides stack config, as MLflow's own tools do; for the token too, so a CI job that points
    MLFLOW_TRACKING_URI at another server brings that server's token the same way."""
    timeout = config.get(CONFIG_READ_TIMEOUT)
    retries = config.get(CONFIG_RETRIES)
    return Connection(
        uri=environ.get("MLFLOW_TRACKING_URI") or config.get(CONFIG_URI) or "",
        token=environ.get("MLFLOW_TRACKING_TOKEN") or config.get(CONFIG_TOKEN) or None,
        read_timeout=float(timeout) if timeout not in (None, "") else DEFAULT_READ_TIMEOUT,
        retries=int(retries) if retries not in (None, "") else DEFAULT_RETRIES,
    )


_CONNECTIONS: "weakref.WeakKeyDictionary[ResourceProvider, Connection]" = weakref.WeakKeyDictionary()
_CONNECTIONS_LOCK = threading.Lock()


# -- the provider -------------------------------------------------------------------------------------

def _live_alias(env: str) -> str:
    return f"{env}-live"


def _deployed_tag(env: str) -> str:
    return f"deployed.{env}"


def _record(client: MlflowRegistryClient, name: str, env: str, version: str, existing_tags: Mapping) -> None:
    """Idempotent: keeps an existing deployment time (an update that does not move the version is not a
    new deployment); setting the alias moves it from any other version in one call."""
    if _deployed_tag(env) not in existing_tags:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        client.set_version_tag(name, version, _deployed_tag(env), now)
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


class ModelVersionProvider(ResourceProvider):
    # Nothing secret is ever captured (the token lives in _CONNECTIONS), so the serialized provider need
    # not be a secret; if a secret Output were captured the SDK would still mark it secret.
    serialize_as_secret_always = False

    def configure(self, req: ConfigureRequest) -> None:
        with _CONNECTIONS_LOCK:
            # Keys are full "project:key" names; secrets arrive decrypted (the host unwraps them).
            config = {k: req.config.get(k) for k in (CONFIG_URI, CONFIG_TOKEN, CONFIG_READ_TIMEOUT, CONFIG_RETRIES)}
            _CONNECTIONS[self] = connection_settings({k: v for k, v in config.items() if v is not None}, os.environ)

    def _client(self) -> MlflowRegistryClient:
        with _CONNECTIONS_LOCK:
            conn = _CONNECTIONS.get(self)
        # Not configured (a direct call outside the provider host): the MLFLOW_* env vars, like MLflow tools.
        return (conn or connection_settings({}, os.environ)).client()

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = {k: news[k] for k in INPUT_KEYS if k in news}
        if any(v == rpc.UNKNOWN for v in inputs.values()):
            return CheckResult(_props(news), [])  # a preview with unknown inputs: resolve at apply time
        args = ModelVersionArgs.from_inputs(inputs)
        problems = validate_args(args)
        if problems:
            return CheckResult(_props(news), [CheckFailure(f, f"{args.model or '?'}: {m}") for f, m in problems])
        olds = _olds or {}
        same_slot = (olds.get("registered_model") == args.registered_model
                     and olds.get("environment") == args.environment and olds.get("version"))
        try:
            client = self._client()
            res = resolve_and_gate(
                client, args, str(olds["version"]) if same_slot else None,
                current_metrics=olds.get("metrics") if same_slot else None,
                current_previous=olds.get("previous_version", "") if same_slot else "")
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
            _record(client, name, env, version, props.get("tags") or {})
        return CreateResult(f"{name}@{env}", self._outputs(client, props))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        news = _props(news)
        name, env, version = news["registered_model"], news["environment"], str(news["version"])
        old_version = str(olds.get("version") or "")
        client = self._client()
        if news.get("record", True):
            _record(client, name, env, version, (news.get("tags") or {}) if old_version == version else {})
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
            outs = self._outputs(client, {**props, "registered_model": name, "environment": env, "version": version},
                                 refresh=True)
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
        outs = {**props, "artifact_uri": client.get_download_uri(name, version),
                "aliases": list(mv.get("aliases", [])), "tags": tags_of(mv)}
        if refresh:
            run = client.get_run(mv["run_id"]) if mv.get("run_id") else {}
            outs.update(run_id=mv.get("run_id", ""), source=mv.get("source", ""), metrics=metrics_of(run),
                        created_at=_iso(mv.get("creation_timestamp")))
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


# -- the resource -------------------------------------------------------------------------------------

class ModelVersion(Resource):
    """`ModelVersion(name, args, opts)`: one concrete MLflow version of a catalogue model in one environment."""

    model: pulumi.Output[str]
    registered_model: pulumi.Output[str]
    environment: pulumi.Output[str]
    version: pulumi.Output[str]
    run_id: pulumi.Output[str]
    artifact_uri: pulumi.Output[str]
    source: pulumi.Output[str]
    aliases: pulumi.Output[list]
    tags: pulumi.Output[dict]
    metrics: pulumi.Output[dict]
    created_at: pulumi.Output[str]
    gate: pulumi.Output[dict]
    previous_version: pulumi.Output[str]

    def __init__(self, name: str, args: ModelVersionArgs, opts: pulumi.ResourceOptions | None = None):
        problems = validate_args(args)
        if problems:
            raise ConfigError([Problem(f"ModelVersion {name} ({args.model})", f, m) for f, m in problems])
        props = {**args.to_inputs(), **{k: None for k in RESOLVED_KEYS + OUTPUT_ONLY_KEYS}}
        super().__init__(ModelVersionProvider(), name, props, opts)
