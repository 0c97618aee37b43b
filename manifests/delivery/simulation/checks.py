"""The Canary's checks, evaluated on synthetic series the way Flagger evaluates them.

One evaluator per check name the analysis builders emit (analysis.py, traffic_guard.py); a Canary
naming a check the simulator does not know is an error, so the two cannot drift apart. Every check
but the guard is gated on the guard's minimum, as its PromQL is; no value is a failed check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from manifests.delivery.simulation import series as S
from manifests.delivery.traffic_guard import GUARD_CHECK

# The quality monitor's pushed scores in the simulation (healthy, inside the example thresholds).
MONITOR_SCORES = {"input-drift": 0.1, "accuracy": 0.95}


@dataclass(frozen=True)
class Outcome:
    check: str  # the first failing check of the tick, or "" when every check passed
    value: float | None = None

    @property
    def passed(self) -> bool:
        return not self.check


def _seconds(duration: str) -> int:
    return int(duration.removesuffix("s"))


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def _difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def evaluator(name: str) -> Callable[[S.Requests, S.Requests, S.Window | None], float | None]:
    by_name: dict[str, Callable[[S.Requests, S.Requests, S.Window | None], float | None]] = {
        GUARD_CHECK: lambda c, p, w: S.count(c, w),
        "success-rate-percent": lambda c, p, w: S.success_percent(c, w),
        "latency-p99-ms": lambda c, p, w: S.latency_quantile(c, w),
        "prediction-confidence": lambda c, p, w: S.mean_confidence(c, w),
        "input-drift": lambda c, p, w: MONITOR_SCORES["input-drift"],
        "accuracy": lambda c, p, w: MONITOR_SCORES["accuracy"],
        "success-rate-vs-primary": lambda c, p, w: _difference(S.success_percent(c, w), S.success_percent(p, w)),
        "latency-p99-vs-primary": lambda c, p, w: _ratio(S.latency_quantile(c, w), S.latency_quantile(p, w)),
    }
    if name not in by_name:
        raise KeyError(
            f"the simulator does not model check {name!r}; add it to manifests/delivery/simulation/checks.py"
        )
    return by_name[name]


def run_checks(metrics: list[dict], canary: S.Requests, primary: S.Requests, t: int, scrape: int) -> Outcome:
    """Flagger's runMetricChecks: in order, stop at the first failure."""
    guard = next((m for m in metrics if m["name"] == GUARD_CHECK), None)
    minimum = guard["thresholdRange"].get("min", 0) if guard else 0
    for metric in metrics:
        window = S.Window.at(t, _seconds(metric["interval"]), scrape)
        if metric["name"] != GUARD_CHECK:
            gates = [canary] + ([primary] if metric["name"].endswith("-vs-primary") else [])
            if any(S.count(r, window) < minimum for r in gates):
                return Outcome(metric["name"])  # the PromQL gate leaves no value
        value = evaluator(metric["name"])(canary, primary, window)
        bounds = metric["thresholdRange"]
        if value is None or value < bounds.get("min", float("-inf")) or value > bounds.get("max", float("inf")):
            return Outcome(metric["name"], value)
    return Outcome("")
