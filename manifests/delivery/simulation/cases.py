"""The simulator's cases, run on one model's rendered Canary: a healthy rollout, a sustained breach, a
single spike, a slow drift and zero traffic. Tests assert on them; the benchmark and docs/delivery.md's
timing table print them.

- healthy: the candidate meets every objective; time to full traffic (the person's wait not counted).
- sustained breach: the candidate fails 5% of requests from its first one (the objectives allow at most
  1%): seconds from the first user reaching it to the last (the rollback's route applied); a strategy
  that analyses before any user reaches the candidate rolls back before any user does.
- breach mid-rollout: the same breach starting at any moment users reach the candidate; one starting
  while the Gateway applies a weight waits for it (Flagger analyses nothing until then).
- spike: a healthy candidate failing every request, at ten times its latency, for `spike` seconds once.
- slow drift: p99 latency rising from half the objective to twice it over 3 minutes: seconds from the
  crossing of the objective to the rollback's route applied.
- zero traffic: no load test and no live traffic: the guard fails every tick, Flagger rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass

from manifests.delivery.simulation.flagger import Run, Scenario, simulate
from manifests.delivery.simulation.series import Behaviour

BREACH_FAILURE = 0.05
DRIFT_SECONDS = 180


@dataclass(frozen=True)
class Rendered:
    """What the simulator reads from the render: the Canary, the scrape interval, the route update."""

    canary: dict
    scrape_seconds: int
    route_update_seconds: int
    latency_objective_ms: float

    def run(self, scenario: Scenario) -> Run:
        return simulate(self.canary, self.scrape_seconds, self.route_update_seconds, scenario)

    @property
    def interval(self) -> int:
        return int(self.canary["spec"]["analysis"]["interval"].removesuffix("s"))


def healthy(rendered: Rendered) -> Run:
    return rendered.run(Scenario("healthy"))


def sustained_breach(rendered: Rendered, start: int = 0) -> Run:
    return rendered.run(Scenario("breach", Behaviour(failure=lambda t: BREACH_FAILURE if t >= start else 0.0)))


def rollback_seconds(run: Run, start: int = 0) -> int | None:
    """Seconds users saw a breaching candidate: from the breach (or their first request) to the last."""
    if run.users_off_at is None:
        return None
    if run.exposed_at is None or run.exposed_at >= run.users_off_at:
        return 0  # rolled back before any user reached the candidate
    return run.users_off_at - max(start, run.exposed_at)


def breach_starts(healthy_run: Run, every: int = 5) -> list[int]:
    """Where a mid-rollout breach may begin: every `every` seconds while users reach the candidate,
    including while Flagger waits for a route update (it analyses nothing then)."""
    if healthy_run.exposed_at is None or healthy_run.full_traffic_at is None:
        return []
    return list(range(healthy_run.exposed_at, healthy_run.full_traffic_at, every))


def spike(rendered: Rendered, at: int, seconds: int) -> Run:
    def bad(t: int) -> bool:
        return at <= t < at + seconds

    objective = rendered.latency_objective_ms
    return rendered.run(
        Scenario(
            "spike",
            Behaviour(
                failure=lambda t: 1.0 if bad(t) else 0.0,
                latency_ms=lambda t: objective * 10 if bad(t) else Behaviour().latency_ms(t),
            ),
        )
    )


def analysis_start(run: Run) -> int:
    """Where spikes and drifts begin: the first analysed tick (blue/green analyses before any user)."""
    return run.first_check_at if run.first_check_at is not None else 0


def spike_rolls_back(rendered: Rendered, seconds: int, around: int) -> bool:
    """Whether a spike of `seconds` rolls back at any phase of the tick starting at `around`."""
    return any(
        spike(rendered, around + offset, seconds).rolled_back_at is not None for offset in range(rendered.interval)
    )


def drift(rendered: Rendered, start: int) -> tuple[Run, int]:
    """The drifting run and the second its p99 crosses the objective."""
    objective = rendered.latency_objective_ms

    def latency(t: int) -> float:
        progress = min(1.0, max(0.0, (t - start) / DRIFT_SECONDS))
        return objective * (0.5 + 1.5 * progress)

    crossing = start + DRIFT_SECONDS // 3  # 0.5 + 1.5 * progress reaches 1.0 at a third of the way
    primary = Behaviour(latency_ms=lambda t: objective * 0.5)  # where the candidate started
    return rendered.run(Scenario("drift", Behaviour(latency_ms=latency), primary=primary)), crossing


def zero_traffic(rendered: Rendered) -> Run:
    return rendered.run(Scenario("zero traffic", user_rps=0.0, load_test=False))
