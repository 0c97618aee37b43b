"""Reads the recorded history: model versions from the registry, canary outcomes from Prometheus.

Bounded: the registry client has its own deadline (registry/session.py); Prometheus gets one query per
counter per model with a connect and read timeout. Failures become notes or one clear error, never a
traceback: an unreachable Prometheus leaves canary outcomes out (and says so), a registered model
that does not exist is a model never deployed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ops.metrics.history import CanaryOutcome, ModelHistory, model_history
from registry.client import MlflowRegistryClient, ModelNotFound, tags_of

FAILURES = "flagger_canary_failures_total"  # facts/runtime_metrics.py FLAGGER [FLAGGER-REC]
SUCCESSES = "flagger_canary_successes_total"
PROMETHEUS_TIMEOUT = (5, 30)


@dataclass(frozen=True)
class Read:
    history: ModelHistory
    notes: tuple[str, ...] = ()


def registry_history(
    client: MlflowRegistryClient,
    model: str,
    registered_model: str,
    environment: str,
    canaries: tuple[CanaryOutcome, ...] = (),
) -> Read:
    try:
        registered = client.get_registered_model(registered_model)
    except ModelNotFound:
        empty = model_history(model, environment, [], canaries)
        return Read(empty, (f"registered model '{registered_model}' does not exist: never deployed",))
    aliases: dict[str, list[str]] = {}
    for entry in registered.get("aliases") or []:
        aliases.setdefault(str(entry.get("version")), []).append(str(entry.get("alias")))
    versions = [
        (v, tags_of(v), tuple(aliases.get(str(v["version"]), ()))) for v in client.search_versions(registered_model)
    ]
    return Read(model_history(model, environment, versions, canaries))


def _increments(samples: list) -> list[tuple[datetime, float]]:
    """(time, increase) of each sample where a counter went up; a drop is a counter reset (restart)."""
    found, previous = [], None
    for stamp, text in samples:
        value = float(text)
        delta = value if previous is None or value < previous else value - previous
        if previous is not None and delta > 0:
            found.append((datetime.fromtimestamp(float(stamp), UTC), delta))
        previous = value
    return found


def canary_outcomes(
    prometheus_url: str, namespace: str, name: str, since: datetime, now: datetime
) -> tuple[tuple[CanaryOutcome, ...], tuple[str, ...]]:
    """Each increase of Flagger's outcome counters for one canary in the window, from the raw samples
    (a range selector returns them with their times, so an outcome is placed at its scrape)."""
    import requests

    seconds = max(60, int((now - since).total_seconds()))
    outcomes: list[CanaryOutcome] = []
    for series, succeeded in ((FAILURES, False), (SUCCESSES, True)):
        query = (
            f'sum without (deployment_strategy, analysis_status) ({series}{{namespace="{namespace}",name="{name}"}})'
        )
        # A subquery at the scrape resolution keeps the sum's raw steps (one per minute).
        query = f"({query})[{seconds}s:1m]"
        try:
            response = requests.get(
                f"{prometheus_url.rstrip('/')}/api/v1/query",
                params={"query": query, "time": f"{now.timestamp():.3f}"},
                timeout=PROMETHEUS_TIMEOUT,
            )
            response.raise_for_status()
            result = response.json()["data"]["result"]
        except (requests.RequestException, ValueError, KeyError, TypeError) as err:
            return (), (f"canary outcomes of {namespace}/{name} not read from {prometheus_url}: {err}",)
        for entry in result:
            for at, count in _increments(entry.get("values") or []):
                outcomes.extend(CanaryOutcome(at, succeeded) for _ in range(int(count)))
    return tuple(sorted(outcomes, key=lambda o: o.at)), ()
