"""The facts the delivery metrics are computed from, read from what the platform records.

Per model version (MLflow registry):
- `creation_timestamp`: when the version was registered (lead time starts here);
- `released.<env>.at` (registry/provider.py, durable) or `deployed.<env>` (the live version's first
  deployment) or `promoted.<env>.at` (ops promote's audit tag): when it went live in <env>;
- `rolledback.<env>.at` and `.from` (ops rollback's audit tags) on the version a rollback restored: at
  that time the version `from` names was rolled back;
- alias `<env>-live`: the version served now.
Per canary (Flagger, in Prometheus): flagger_canary_failures_total / _successes_total increments, each an
outcome of the rollout of the version deployed just before it (facts/runtime_metrics.py FLAGGER).
Pure: no I/O; reader.py fills these from the registry and Prometheus.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Release:
    version: str
    at: datetime
    created: datetime


@dataclass(frozen=True)
class Rollback:
    at: datetime
    from_version: str  # the version that was rolled back
    to_version: str


@dataclass(frozen=True)
class CanaryOutcome:
    at: datetime
    succeeded: bool


@dataclass(frozen=True)
class ModelHistory:
    """Everything recorded about one model in one environment."""

    model: str
    environment: str
    releases: tuple[Release, ...]  # sorted by time
    rollbacks: tuple[Rollback, ...]  # sorted by time
    canaries: tuple[CanaryOutcome, ...] = ()  # sorted by time
    live: Release | None = None  # the version served now (alias <env>-live), with its creation time


def parse_time(text: str | None) -> datetime | None:
    """An ISO 8601 tag value as an aware UTC time; None for a missing or unreadable value."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def created_at(version: Mapping) -> datetime:
    return datetime.fromtimestamp(int(version.get("creation_timestamp") or 0) / 1000, UTC)


def release_time(tags: Mapping[str, str], environment: str) -> datetime | None:
    """When this version first went live in `environment`: the earliest record of it."""
    found = [
        parse_time(tags.get(key))
        for key in (f"released.{environment}.at", f"deployed.{environment}", f"promoted.{environment}.at")
    ]
    times = [t for t in found if t is not None]
    return min(times) if times else None


def model_history(
    model: str,
    environment: str,
    versions: Sequence[tuple[Mapping, Mapping[str, str], tuple[str, ...]]],
    canaries: tuple[CanaryOutcome, ...] = (),
) -> ModelHistory:
    """From (version object, its tags, its aliases) of every version of the model."""
    releases, rollbacks, live = [], [], None
    for version, tags, aliases in versions:
        number, created = str(version["version"]), created_at(version)
        at = release_time(tags, environment)
        if at is not None:
            releases.append(Release(number, at, created))
        back = parse_time(tags.get(f"rolledback.{environment}.at"))
        if back is not None:
            rollbacks.append(Rollback(back, tags.get(f"rolledback.{environment}.from", "").lstrip("v"), number))
        if f"{environment}-live" in aliases:
            live = Release(number, at or created, created)
    return ModelHistory(
        model,
        environment,
        tuple(sorted(releases, key=lambda r: (r.at, int(r.version) if r.version.isdigit() else 0))),
        tuple(sorted(rollbacks, key=lambda r: r.at)),
        tuple(sorted(canaries, key=lambda c: c.at)),
        live,
    )
