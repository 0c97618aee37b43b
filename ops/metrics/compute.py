"""The five delivery figures from recorded history. Pure: same history and clock, same figures.

Definitions (docs/delivery-metrics.md):
- deployment: a version going live in the environment (history.release_time); deploys per week = the
  deployments inside the window / the window's length in weeks;
- lead time: deployment time - version creation time; median and p90 (nearest rank) over the window;
- failed deployment: one that was rolled back (a rollback `from` it) or whose canary failed (a Flagger
  failure while it was the newest deployment); change failure rate = failed / deployments in the window;
- time to restore: from the failure (the failed canary or the rollback, whichever came first) to the next
  deployment that did not fail itself; a failure not yet followed by one is counted as open;
- freshness: the age of the version served now (its creation time to now).
Clock skew (a deployment recorded before its version's creation, a rollback before the deployment it
undoes, a version created in the future) never yields a negative duration: the figure is left out and
a note says which record and why. No deployments: rates and durations are None ("n/a"), never 0/0.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ops.metrics.history import ModelHistory, Release

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Figures:
    scope: str  # a model name, or "stack"
    environment: str
    deployments: int
    deploys_per_week: float
    lead_time_median: float | None  # seconds
    lead_time_p90: float | None
    failed: int
    change_failure_rate: float | None
    restore_median: float | None  # seconds
    restores: int  # failures followed by a healthy deployment
    open_failures: int
    served_version: str | None
    served_age: float | None  # seconds
    notes: tuple[str, ...] = field(default=())


def p90(values: Sequence[float]) -> float | None:
    """Nearest-rank 90th percentile: the smallest value with at least 90% of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


@dataclass(frozen=True)
class _Outcome:
    release: Release
    failed: bool
    failed_at: datetime | None  # None for a failure whose time is not usable (clock skew)
    restored_after: float | None  # seconds, when restored


def _failure_time(history: ModelHistory, index: int, notes: list[str]) -> tuple[bool, datetime | None]:
    """(failed?, when) for the index-th release."""
    releases = history.releases
    release = releases[index]
    until = releases[index + 1].at if index + 1 < len(releases) else None
    times = [
        c.at for c in history.canaries if not c.succeeded and c.at >= release.at and (until is None or c.at < until)
    ]
    failed = bool(times)
    for rollback in history.rollbacks:
        if rollback.from_version != release.version:
            continue
        failed = True
        if rollback.at < release.at:
            notes.append(
                f"v{release.version}: rollback recorded at {rollback.at:%Y-%m-%d %H:%M} before its deployment at "
                f"{release.at:%Y-%m-%d %H:%M} (clock skew between records): left out of time to restore"
            )
        else:
            times.append(rollback.at)
    return failed, (min(times) if times else None)


def _outcomes(history: ModelHistory, notes: list[str]) -> list[_Outcome]:
    states = [_failure_time(history, i, notes) for i in range(len(history.releases))]
    outcomes = []
    for i, release in enumerate(history.releases):
        failed, at = states[i]
        restored = None
        if failed and at is not None:
            healthy = next(
                (r for j, r in enumerate(history.releases) if j > i and not states[j][0] and r.at >= at), None
            )
            restored = (healthy.at - at).total_seconds() if healthy else None
        outcomes.append(_Outcome(release, failed, at if failed else None, restored))
    return outcomes


def model_figures(history: ModelHistory, since: datetime, now: datetime) -> tuple[Figures, dict]:
    """This model's figures, and the raw values the stack figures pool (lead times, restores)."""
    notes: list[str] = []
    failed_versions = set()
    restores, lead_times, open_failures, restore_count = [], [], 0, 0
    in_window = 0
    for outcome in _outcomes(history, notes):
        release = outcome.release
        if not since <= release.at <= now:
            continue
        in_window += 1
        lead = (release.at - release.created).total_seconds()
        if lead < 0:
            notes.append(
                f"v{release.version}: deployed {-lead:.0f} s before it was created (clock skew between the "
                "deployer and the registry): left out of lead time"
            )
        else:
            lead_times.append(lead)
        if outcome.failed:
            failed_versions.add(release.version)
            if outcome.failed_at is None:
                continue  # failed, but when is not known: counted, not timed (noted above)
            if outcome.restored_after is None:
                open_failures += 1
            else:
                restores.append(outcome.restored_after)
                restore_count += 1
    served, age = None, None
    if history.live is not None:
        served = history.live.version
        age = (now - history.live.created).total_seconds()
        if age < 0:
            notes.append(f"v{served}: created {-age:.0f} s in the future (clock skew): age unknown")
            age = None
    weeks = (now - since) / WEEK
    figures = Figures(
        scope=history.model,
        environment=history.environment,
        deployments=in_window,
        deploys_per_week=in_window / weeks if weeks > 0 else 0.0,
        lead_time_median=median(lead_times),
        lead_time_p90=p90(lead_times),
        failed=len(failed_versions),
        change_failure_rate=len(failed_versions) / in_window if in_window else None,
        restore_median=median(restores),
        restores=restore_count,
        open_failures=open_failures,
        served_version=served,
        served_age=age,
        notes=tuple(notes),
    )
    return figures, {"lead_times": lead_times, "restores": restores}


def stack_figures(environment: str, per_model: list[tuple[Figures, dict]], since: datetime, now: datetime) -> Figures:
    """The stack pooled: every deployment of every model counts once; the oldest served version is its age."""
    deployments = sum(f.deployments for f, _ in per_model)
    failed = sum(f.failed for f, _ in per_model)
    leads = [v for _, raw in per_model for v in raw["lead_times"]]
    restores = [v for _, raw in per_model for v in raw["restores"]]
    served = [f for f, _ in per_model if f.served_age is not None]
    oldest = max(served, key=lambda f: f.served_age or 0.0, default=None)
    weeks = (now - since) / WEEK
    return Figures(
        scope="stack",
        environment=environment,
        deployments=deployments,
        deploys_per_week=deployments / weeks if weeks > 0 else 0.0,
        lead_time_median=median(leads),
        lead_time_p90=p90(leads),
        failed=failed,
        change_failure_rate=failed / deployments if deployments else None,
        restore_median=median(restores),
        restores=len(restores),
        open_failures=sum(f.open_failures for f, _ in per_model),
        served_version=f"{oldest.scope} v{oldest.served_version}" if oldest else None,
        served_age=oldest.served_age if oldest else None,
        notes=(),
    )
