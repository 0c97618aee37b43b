"""The minimum-traffic guard of the canary analysis: no check is judged on too few requests.

At 1% of live traffic a window may hold a handful of requests: one failure out of three reads as a 67%
success rate (a rollback on noise), and no request at all reads as nothing (which Flagger already fails,
facts/flagger_analysis.py). So the analysis starts with one check, `request-count`, that the canary pods
served at least N requests in the window; every other check is gated on the same count in its own
PromQL (`and on() (count >= N)`), so its value is never computed from fewer. Flagger stops a tick at the
first failing check: with too little traffic the tick fails once, as `request-count`, with the count in
the event; it never passes vacuously. The load tester sends traffic to the canary from the first tick
(webhooks.py), so the guard only fails when the canary really gets too little (a broken load test, a
model without one at 1%): Flagger then rolls back after `threshold` such ticks, and never promotes a
version nobody has measured.

N per runtime: enough requests that one failure cannot fail the success-rate objective
(N >= 1 / (1 - minSuccessRate)) and, where the p99 comes from a histogram the platform aggregates
(MLServer's REST histogram, vLLM's e2e histogram), at least 100 so the p99 is not simply the slowest
request. Triton's p99 is Triton's own per-pod summary, so only the success-rate bound applies there.
"""

from __future__ import annotations

import math

from plan.delivery import DeliveryPlan

GUARD_CHECK = "request-count"
# The floor each runtime's latency check needs (see above); the success-rate bound may raise it.
LATENCY_FLOOR: dict[str, int] = {"mlserver": 100, "vllm": 100, "triton": 1}


def min_requests(plan: DeliveryPlan) -> int:
    """N: requests the canary must have served in one window before any check is judged."""
    budget = 1.0 - plan.serving.model.slo.min_success_rate
    success_bound = math.ceil(round(1.0 / budget, 6)) if budget > 0 else 1
    return max(LATENCY_FLOOR[plan.serving.runtime.name], success_bound)


def gated(query: str, count: str, minimum: int) -> str:
    """`query`, or nothing (a failed check, never a pass) while `count` is under `minimum`."""
    return f"({query}) and on() ({count} >= {minimum})"
