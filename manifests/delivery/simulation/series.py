"""Synthetic metric series for the analysis simulator, and the windowed queries Flagger's checks run.

Time is in whole seconds from the new revision's detection. Each second the candidate serves some
requests (load tester + its share of live traffic), each with that second's outcome: a failure
fraction, a latency and a prediction confidence, as a Behaviour says. Prometheus scrapes the
cumulative counters every `scrape` seconds; a check at time t over window W reads the samples in
(t - W, t], like a range selector, and sees the requests between its first and last sample (no
extrapolation, and latency quantiles from exact values instead of histogram buckets: both simplify
Prometheus in the direction of seeing less, never more).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Behaviour:
    """How the candidate behaves at second t (relative to the start of the rollout)."""

    failure: Callable[[int], float] = lambda t: 0.0  # fraction of requests failing
    latency_ms: Callable[[int], float] = lambda t: 50.0
    confidence: Callable[[int], float] = lambda t: 0.9


@dataclass
class Requests:
    """Per-second requests the candidate (or primary) served and their outcome."""

    served: list[float] = field(default_factory=list)
    failed: list[float] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)
    confidence: list[float] = field(default_factory=list)

    def record(self, count: float, failure: float, latency: float, confidence: float) -> None:
        self.served.append(count)
        self.failed.append(count * failure)
        self.latency.append(latency)
        self.confidence.append(confidence)


@dataclass(frozen=True)
class Window:
    """What one check sees: the seconds between the first and last scrape in (t - W, t]."""

    start: int
    end: int  # exclusive

    @classmethod
    def at(cls, t: int, window: int, scrape: int) -> Window | None:
        samples = [s for s in range(t - window + 1, t + 1) if s >= 0 and s % scrape == 0]
        if len(samples) < 2:
            return None  # one sample: no rate, no increase -> "no values"
        return cls(samples[0], samples[-1])


def count(requests: Requests, window: Window | None) -> float:
    if window is None:
        return 0.0
    return sum(requests.served[window.start : window.end])


def success_percent(requests: Requests, window: Window | None) -> float | None:
    total = count(requests, window)
    if window is None or total == 0:
        return None  # 0/0
    failed = sum(requests.failed[window.start : window.end])
    return 100.0 * (total - failed) / total


def latency_quantile(requests: Requests, window: Window | None, q: float = 0.99) -> float | None:
    if window is None:
        return None
    seconds = [(requests.latency[s], requests.served[s]) for s in range(window.start, window.end) if requests.served[s]]
    total = sum(n for _, n in seconds)
    if total == 0:
        return None
    rank, seen = math.ceil(q * total), 0.0
    for latency, n in sorted(seconds):
        seen += n
        if seen >= rank:
            return latency
    return sorted(seconds)[-1][0]


def mean_confidence(requests: Requests, window: Window | None) -> float | None:
    total = count(requests, window)
    if window is None or total == 0:
        return None
    weighted = sum(requests.confidence[s] * requests.served[s] for s in range(window.start, window.end))
    return weighted / total
