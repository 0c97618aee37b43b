"""How long a rollout takes, computed from an environment's canary policy (the README table).

Flagger acts once per analysis interval (one "tick"):
- healthy rollout, 0 -> 100%: one tick to detect the new revision and start the canary, one tick per
  weight step (or blue/green iteration), one tick to promote (copy the canary spec to the primary),
  one tick to finalise (route 100% to the primary): (steps + 3) ticks. A confirm-promotion gate adds
  however long the approver takes, which is not counted here.
- rollback after a breach: the breach shows in the next check at the latest (one tick), then Flagger
  needs `threshold` failed checks in a row, one per tick, and rolls back on the last one: at most
  (threshold + 1) ticks; then the traffic layer applies the route change (on GKE a minute or more).
- without analysis (dev, local defaults) Flagger promotes on the first tick after detection.
"""

from __future__ import annotations

from dataclasses import dataclass

from plan.delivery import GATEWAY_ROUTE_UPDATE_SECONDS
from settings.delivery import CanaryPolicy


@dataclass(frozen=True)
class RolloutTiming:
    healthy_rollout_seconds: int
    rollback_after_breach_seconds: int | None  # None: no analysis, nothing is rolled back automatically


def rollout_timing(policy: CanaryPolicy, route_update_seconds: int) -> RolloutTiming:
    tick = policy.interval_seconds
    if not policy.analysis:
        return RolloutTiming(healthy_rollout_seconds=3 * tick, rollback_after_breach_seconds=None)
    steps = len(policy.step_weights)
    return RolloutTiming(
        healthy_rollout_seconds=(steps + 3) * tick,
        rollback_after_breach_seconds=(policy.threshold + 1) * tick + route_update_seconds,
    )


def minutes(seconds: int | None) -> str:
    if seconds is None:
        return "no automatic rollback"
    return f"{seconds // 60} min {seconds % 60} s" if seconds % 60 else f"{seconds // 60} min"


def timing_table(rows: list[tuple[str, CanaryPolicy, bool]]) -> str:
    """The README's markdown table from (stack, its canary policy, whether it routes through a Gateway)."""
    lines = [
        "| stack | analysis | interval | traffic steps | failed checks to roll back | approval | healthy rollout 0 -> 100% | rollback after a breach |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for stack, policy, gateway in rows:
        timing = rollout_timing(policy, GATEWAY_ROUTE_UPDATE_SECONDS if gateway else 0)
        steps = " -> ".join(f"{w}%" for w in policy.step_weights) + " -> 100%" if gateway else "blue/green"
        lines.append(
            f"| {stack} | {'on' if policy.analysis else 'skipped'} | {policy.interval_seconds} s | {steps} | "
            f"{policy.threshold} | {'yes' if policy.approval else 'no'} | {minutes(timing.healthy_rollout_seconds)}"
            f"{' + approval' if policy.approval else ''} | {minutes(timing.rollback_after_breach_seconds)} |"
        )
    return "\n".join(lines)
