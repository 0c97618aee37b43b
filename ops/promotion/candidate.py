"""Read-only checks a version must pass before promote or rollback changes anything: it exists in the
registry, it is READY, and (promote) the target environment's gates accept it against what that
environment serves now. The same gates the ModelVersion provider applies at `up` (registry/gates.py), run
first so a refused candidate never moves an alias."""

from __future__ import annotations

from catalogue.schema import ModelSpec
from ops.promotion.context import PromotionRefused
from registry.client import MlflowRegistryClient, VersionNotFound, metrics_of, tags_of
from registry.gates import VersionFacts, evaluate


def ready_version(client: MlflowRegistryClient, spec: ModelSpec, version: str, what: str) -> dict:
    """The registry's version object; refused when it does not exist or is not READY."""
    try:
        mv = client.get_version(spec.registered_model, version)
    except VersionNotFound:
        raise PromotionRefused(
            f"{what}: registered model {spec.registered_model!r} has no version {version} at {client.display_uri} "
            "(fix: name a version that exists; it may have been deleted)"
        ) from None
    status = mv.get("status")
    if status != "READY":
        raise PromotionRefused(
            f"{what}: {spec.registered_model!r} v{version} is {status}, not READY "
            "(fix: wait for its registration to finish, or choose another version)"
        )
    return mv


def facts(client: MlflowRegistryClient, mv: dict) -> VersionFacts:
    run = client.get_run(mv["run_id"]) if mv.get("run_id") else {}
    return VersionFacts(str(mv["version"]), metrics_of(run), tags_of(mv))


def check_candidate(
    client: MlflowRegistryClient, spec: ModelSpec, environment: str, version: str, serving: str | None
) -> None:
    """Refuses `version` for `environment` unless it is READY and passes that environment's gates, judged
    against `serving` (the version the target stack serves now; None: the registry's champion is not
    consulted, as nothing is deployed to beat)."""
    mv = ready_version(client, spec, version, f"{spec.name} v{version} for {environment!r}")
    candidate = facts(client, mv)
    champion = None
    if serving and serving != version:
        champion = facts(client, client.get_version(spec.registered_model, serving))
    gates = spec.gates_for(environment).as_input()
    verdict = evaluate(candidate, champion, gates)
    if not verdict.passed:
        raise PromotionRefused(
            f"the {environment!r} gates refuse {spec.name} {candidate.describe()}"
            + (f" against the serving {champion.describe()}" if champion else "")
            + ": "
            + "; ".join(r for gate in verdict.gates if not gate.passed for r in gate.reasons)
            + " (fix: promote a version that passes them; the gates are in the model's catalogue file)"
        )
