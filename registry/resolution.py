"""Resolution: a catalogue selector and gates turned into one concrete MLflow version, or a refusal.

Pure over a registry client; used by the provider's check(), the demo and the benchmarks. The args it
resolves, and their validation, are registry/version_args.py.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.problems import Finding
from registry.client import (
    AliasNotFound,
    MlflowRegistryClient,
    RegistryError,
    metrics_of,
    tags_of,
)
from registry.gates import Verdict, VersionFacts, evaluate
from registry.version_args import ModelVersionArgs, parse_selector, validate_args

# -- errors -------------------------------------------------------------------------------------------


class ResolutionError(Exception):
    """The selector cannot be turned into a READY version. Names model, selector, registry and the fix."""

    def __init__(self, args: ModelVersionArgs, registry: str, message: str, fix: str = ""):
        self.model, self.selector, self.registry = args.model, args.selector, registry
        text = (
            f"{args.model} ({args.environment}): cannot resolve selector {args.selector} of registered model "
            f"'{args.registered_model}' at MLflow registry {registry}: {message}"
        )
        self.finding = Finding(text, fix)
        super().__init__(str(self.finding))


class GateRefused(Exception):
    """A gate refused the candidate. The message names the model, both versions and their metrics."""

    def __init__(self, args: ModelVersionArgs, verdict: Verdict, registry: str):
        self.model, self.verdict, self.registry = args.model, verdict, registry
        champ = verdict.champion.describe() if verdict.champion else "none"
        self.finding = Finding(
            f"{args.model} ({args.environment}): gates refused candidate {verdict.candidate.describe()} selected by "
            f"{args.selector} from '{args.registered_model}' at {registry}; champion {champ}: "
            + "; ".join(verdict.reasons),
            "promote a better version, or pin {version: N} to force a rollback; evidence is never bypassed",
        )
        super().__init__(str(self.finding))


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
        return {
            "version": self.version,
            "run_id": self.run_id,
            "source": self.source,
            "created_at": self.created_at,
            "metrics": dict(self.metrics),
            "tags": dict(self.tags),
            "gate": self.verdict.to_dict(),
            "previous_version": self.previous_version,
        }


def _iso(ms: Any) -> str:
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC).isoformat(timespec="seconds") if ms else ""


def _candidate(
    client: MlflowRegistryClient, args: ModelVersionArgs, kind: str, value: Any, notes: list[str]
) -> tuple[dict, tuple[str, ...] | None]:
    """The selected version object (1 call, or a few search pages for `latest`) and its aliases if known."""
    name = args.registered_model
    if kind == "alias":
        mv = client.get_version_by_alias(name, value)
        return mv, tuple(mv.get("aliases", []))
    if kind == "version":
        mv = client.get_version(name, value)
        return mv, tuple(mv.get("aliases", []))
    if kind == "stage":
        notes.append(
            f"{args.model}: selector {{stage: {value}}} uses MLflow stages, deprecated since MLflow 2.9; "
            f"use an alias instead, e.g. {{alias: champion}}"
        )
        rm = client.get_registered_model(name)  # latest_versions = the newest version of each stage
        in_stage = [mv for mv in rm.get("latest_versions", []) if mv.get("current_stage") == value]
        if not in_stage:
            raise ResolutionError(
                args,
                client.display_uri,
                f"no version is in stage {value}",
                f"transition a version to {value}, or better, select by alias",
            )
        mv = in_stage[0]
        return mv, tuple(a["alias"] for a in rm.get("aliases", []) if a.get("version") == mv["version"])
    seen = 0
    for mv in client.search_versions(name, page_size=20):  # newest first; usually the first page decides
        seen += 1
        if mv.get("status") == "READY":
            return mv, None
    if not seen:
        client.get_registered_model(name)  # raises ModelNotFound when that is the reason
    raise ResolutionError(
        args,
        client.display_uri,
        f"none of its {seen} version(s) is READY",
        "wait for registration to finish, or register a version",
    )


def _champion(
    client: MlflowRegistryClient,
    args: ModelVersionArgs,
    candidate: VersionFacts,
    current_version: str | None,
    current_metrics: Mapping | None,
    selected_by: tuple[str, Any],
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


def resolve_and_gate(
    client: MlflowRegistryClient,
    args: ModelVersionArgs,
    current_version: str | None,
    *,
    current_metrics: Mapping | None = None,
    current_previous: str = "",
) -> Resolution:
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
            raise ResolutionError(
                args,
                client.display_uri,
                f"version {mv['version']} is {mv.get('status')}, not READY",
                "wait for its registration to finish, or select another version",
            )
        run = client.get_run(mv["run_id"]) if mv.get("run_id") else {}
        candidate = VersionFacts(str(mv["version"]), metrics_of(run), tags_of(mv))
        if pinned:  # quality gates are bypassed: spend no calls on a champion, report the deployed one if known
            champion = (
                VersionFacts(str(current_version), dict(current_metrics or {}))
                if current_version and current_version != candidate.version
                else None
            )
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
    return Resolution(
        args,
        candidate.version,
        mv.get("run_id", ""),
        mv.get("source", ""),
        _iso(mv.get("creation_timestamp")),
        dict(candidate.metrics),
        dict(candidate.tags),
        verdict,
        previous,
        aliases,
        tuple(notes),
    )


def resolve_many(
    client: MlflowRegistryClient,
    jobs: list[ModelVersionArgs | tuple[ModelVersionArgs, str | None]],
    max_workers: int = 8,
) -> list[Resolution | Exception]:
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
