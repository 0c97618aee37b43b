"""Flagger 1.44's scheduler, one tick at a time, run on a rendered Canary and synthetic traffic.

It reads what the render emits (the Canary's analysis: interval, threshold, stepWeights or iterations,
match, mirror, metrics and webhooks; the PodMonitor's scrape interval) and follows
pkg/controller/scheduler.go as facts/flagger_analysis.py records it: a detection tick, pre-rollout hooks
on the first tick, rollout hooks then checks in order on every later tick, failed checks that never
reset, rollback on the tick after the threshold, the strategy's step, and on a Gateway no tick at all
until the route Flagger last wrote has been applied (`route_update` seconds later), rollback included.
The load tester runs each `hey` command of a cmd hook in the background and skips one already running.
"""

from __future__ import annotations

import functools
import shlex
from dataclasses import dataclass, field

from manifests.delivery.simulation import series as S
from manifests.delivery.simulation.checks import run_checks


@dataclass(frozen=True)
class Scenario:
    name: str
    candidate: S.Behaviour = S.Behaviour()
    primary: S.Behaviour = S.Behaviour()  # the version users have now (A/B comparisons read it)
    user_rps: float = 50.0  # the model's live traffic, all of it
    load_test: bool = True  # false: the load tester's commands produce nothing (broken, or none)
    segment_share: float = 0.1  # abTest: share of live traffic in the matched segment
    approval_after: int = 0  # seconds a person takes to open the gate once asked
    horizon: int = 3 * 3600


@dataclass
class Run:
    """What happened, in seconds from the new revision's detection."""

    failed_checks: list[tuple[int, str]] = field(default_factory=list)
    first_check_at: int | None = None  # the first tick that ran the checks
    exposed_at: int | None = None  # first second users got the candidate's responses
    full_traffic_at: int | None = None  # first second the new version served every user
    succeeded_at: int | None = None
    rolled_back_at: int | None = None  # the tick Flagger rolled back
    users_off_at: int | None = None  # when the rollback's route was applied (no user on the candidate)
    asked_approval_at: int | None = None


@dataclass(frozen=True)
class Route:
    primary: int = 100
    canary: int = 0
    mirror: bool = False


def _load_commands(hooks: list[dict]) -> dict[str, list[str]]:
    """hook type -> the hey commands its cmd tasks run (each a background task in the load tester)."""
    found: dict[str, list[str]] = {}
    for hook in hooks:
        cmd = hook.get("metadata", {}).get("cmd", "")
        if hook.get("metadata", {}).get("type") == "cmd" and cmd.startswith("hey "):
            found.setdefault(hook["type"], []).append(cmd)
    return found


@functools.cache
def _hey(cmd: str) -> tuple[int, float, int]:
    """(duration s, rate per worker, workers) of a hey command."""
    args = shlex.split(cmd)
    value = {args[i]: args[i + 1] for i in range(len(args) - 1) if args[i].startswith("-")}
    return int(value["-z"].removesuffix("s")), float(value["-q"]), int(value["-c"])


class Simulation:
    def __init__(self, canary: dict, scrape_seconds: int, route_update_seconds: int, scenario: Scenario):
        spec = canary["spec"]
        analysis = spec["analysis"]
        self.interval = max(10, int(analysis["interval"].removesuffix("s")))
        self.threshold = max(1, analysis["threshold"])
        self.steps: list[int] = analysis.get("stepWeights", [])
        self.iterations: int = analysis.get("iterations", 0)
        self.ab = bool(analysis.get("match")) and self.iterations > 0
        self.mirror = bool(analysis.get("mirror"))
        self.metrics = analysis["metrics"] if not spec.get("skipAnalysis") else []
        self.gateway = spec["provider"].startswith("gatewayapi")
        self.skip = bool(spec.get("skipAnalysis"))
        self.hooks = _load_commands(analysis.get("webhooks", []))
        self.approval = any(h["type"] == "confirm-promotion" for h in analysis.get("webhooks", []))
        self.scrape, self.lag, self.scenario = scrape_seconds, route_update_seconds if self.gateway else 0, scenario
        self.phase, self.failed, self.done_iterations, self.mirrored = "init", 0, 0, False
        self.spec_route = self.applied = Route()
        self.ready_at, self.candidate_up = 0, False
        self.load_until: dict[str, int] = {}  # running hey command -> second it ends
        self.canary_requests, self.primary_requests, self.run = S.Requests(), S.Requests(), Run()

    # -- the traffic layer -------------------------------------------------------------------------
    def set_routes(self, t: int, primary: int, canary: int, mirror: bool = False) -> None:
        route = Route(primary, canary, mirror)
        if route != self.spec_route:  # an identical update leaves metadata.generation alone
            self.spec_route = route
            self.ready_at = t + self.lag

    def _user_share(self) -> tuple[float, bool]:
        """(share of live traffic reaching the candidate, whether users get its responses)."""
        route = self.applied
        if route.mirror:
            return 1.0, False
        if route.canary == 0:
            return 0.0, False
        return (self.scenario.segment_share if self.ab else route.canary / 100), True

    # -- the load tester ---------------------------------------------------------------------------
    def call_hooks(self, t: int, hook_type: str) -> None:
        for cmd in self.hooks.get(hook_type, []):
            if self.load_until.get(cmd, -1) <= t:  # not running: start it
                self.load_until[cmd] = t + _hey(cmd)[0]

    def _load_rps(self, t: int, latency_ms: float) -> float:
        if not self.scenario.load_test or not self.candidate_up:
            return 0.0
        total = 0.0
        for cmd, until in self.load_until.items():
            if t < until:
                _, rate, workers = _hey(cmd)
                total += workers * min(rate, 1000.0 / max(latency_ms, 1.0))
        return total

    # -- one second ----------------------------------------------------------------------------------
    def second(self, t: int) -> None:
        if t >= self.ready_at:
            self.applied = self.spec_route
        if t % self.interval == 0 and self.phase not in ("succeeded", "failed"):
            self.tick(t)
            if t >= self.ready_at:
                self.applied = self.spec_route
        behaviour = self.scenario.candidate
        share, exposed = self._user_share()
        users = self.scenario.user_rps * share if self.candidate_up else 0.0
        if exposed and users and self.run.exposed_at is None:
            self.run.exposed_at = t
        if self.run.rolled_back_at is not None and self.run.users_off_at is None and not exposed:
            self.run.users_off_at = t
        latency = behaviour.latency_ms(t)
        served = users + self._load_rps(t, latency)
        self.canary_requests.record(served, behaviour.failure(t), latency, behaviour.confidence(t))
        to_primary = self.scenario.user_rps - (users if exposed else 0.0)
        primary = self.scenario.primary
        self.primary_requests.record(to_primary, primary.failure(t), primary.latency_ms(t), primary.confidence(t))

    # -- one Flagger tick (advanceCanary) -----------------------------------------------------------------
    def tick(self, t: int) -> None:
        if self.phase == "init":  # checkCanaryStatus: new revision, scale the candidate up
            self.phase, self.candidate_up = "progressing", True
            return
        if t < self.ready_at:  # GetRoutes: the Gateway has not applied the last route yet
            return
        if self.skip:
            self.set_routes(t, 100, 0)
            self.run.full_traffic_at = self.run.succeeded_at = t
            self.phase, self.candidate_up = "succeeded", False
            return
        if self.phase == "promoting":
            if self.gateway:
                self.set_routes(t, 100, 0)
            self.phase = "finalising"
            return
        if self.phase == "finalising":
            self.phase, self.candidate_up, self.run.succeeded_at = "succeeded", False, t
            return
        if self.failed >= self.threshold:
            self.set_routes(t, 100, 0)
            self.phase, self.candidate_up, self.run.rolled_back_at = "failed", False, t
            return
        if self.spec_route.canary == 0 and self.done_iterations == 0 and not (self.mirror and self.mirrored):
            self.call_hooks(t, "pre-rollout")
        else:
            self.call_hooks(t, "rollout")
            if self.run.first_check_at is None:
                self.run.first_check_at = t
            outcome = run_checks(self.metrics, self.canary_requests, self.primary_requests, t, self.scrape)
            if not outcome.passed:
                self.failed += 1
                self.run.failed_checks.append((t, outcome.check))
                return
        if self.ab:
            self._ab(t)
        elif self.iterations:
            self._blue_green(t)
        else:
            self._canary(t)

    def _approved(self, t: int) -> bool:
        if not self.approval:
            return True
        if self.run.asked_approval_at is None:
            self.run.asked_approval_at = t
        return t >= self.run.asked_approval_at + self.scenario.approval_after

    def _promote(self, t: int) -> None:
        self.phase = "promoting"
        if self.run.full_traffic_at is None:  # the primary now runs the new spec (its rollout not counted)
            self.run.full_traffic_at = t

    def _ab(self, t: int) -> None:
        if self.done_iterations < self.iterations:
            self.set_routes(t, 0, 100)  # with match: only the segment reaches the candidate
            self.done_iterations += 1
        elif self._approved(t):
            self._promote(t)

    def _blue_green(self, t: int) -> None:
        if self.done_iterations < self.iterations:
            if self.gateway and self.mirror and not self.mirrored:
                self.set_routes(t, 100, 0, mirror=True)
                self.mirrored = True
            self.done_iterations += 1
        elif not self._approved(t):
            return
        elif self.done_iterations == self.iterations:
            if self.gateway:
                self.set_routes(t, 0, 100)
                self.run.full_traffic_at = self.ready_at
            self.done_iterations += 1
        else:
            self._promote(t)

    def _next_step(self, weight: int) -> int:
        """scheduler.go nextStepWeight, stepWeights branch."""
        left = 100 - weight
        if left == 0:
            return 1
        if weight == 0:
            return min(left, self.steps[0])
        for i in range(len(self.steps) - 1):
            if self.steps[i] == weight:
                return min(left, self.steps[i + 1] - weight)
        return left

    def _canary(self, t: int) -> None:
        weight = self.spec_route.canary
        step = self._next_step(weight)
        if step <= 0:
            return  # a repeated weight: Flagger neither advances nor promotes
        if weight < min(100, self.steps[-1]):
            weight = min(100, weight + step)
            self.set_routes(t, 100 - weight, weight)
        elif self._approved(t):
            self._promote(t)

    def simulate(self) -> Run:
        for t in range(self.scenario.horizon):
            self.second(t)
            if self.phase in ("succeeded", "failed") and (
                self.run.users_off_at is not None or self.phase == "succeeded"
            ):
                break
        return self.run


def simulate(canary: dict, scrape_seconds: int, route_update_seconds: int, scenario: Scenario) -> Run:
    return Simulation(canary, scrape_seconds, route_update_seconds, scenario).simulate()
