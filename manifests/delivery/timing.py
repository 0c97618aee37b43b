"""How long a rollout takes, per strategy and stack: the timing table in docs/delivery.md.

Not a formula: each row runs the analysis simulator (manifests/delivery/simulation/) on the Canary the
render emits for that plan, so the table follows the config, the analysis builders and Flagger's
scheduler as facts/flagger_analysis.py records it. Time to full traffic is the healthy case (a
person's wait not counted); rollback is the sustained-breach case, from the first user reaching the
breaching candidate to the rollback's route applied (60 s counted for a GKE route update).
"""

from __future__ import annotations

from manifests.delivery.canary import canary_manifest
from manifests.delivery.simulation import cases
from plan.delivery import GATEWAY_ROUTE_UPDATE_SECONDS, SCRAPE_SECONDS, DeliveryPlan


def rendered(plan: DeliveryPlan) -> cases.Rendered:
    """The inputs the simulator reads, from the same builders the render uses."""
    return cases.Rendered(
        canary=canary_manifest(plan),
        scrape_seconds=SCRAPE_SECONDS,
        route_update_seconds=GATEWAY_ROUTE_UPDATE_SECONDS,
        latency_objective_ms=float(plan.serving.model.slo.latency_p99_ms),
    )


def minutes(seconds: int | None) -> str:
    if seconds is None:
        return "no automatic rollback"
    return f"{seconds // 60} min {seconds % 60} s" if seconds % 60 else f"{seconds // 60} min"


def _traffic(plan: DeliveryPlan) -> str:
    strategy = plan.strategy
    if not plan.policy.analysis:
        return "all at once (analysis skipped)"
    if strategy.kind == "canary":
        return (
            " -> ".join(f"{w}%" for w in plan.policy.step_weights)
            + " -> 100%"
            + (f" ({plan.policy.checks_per_step} checks each)" if plan.policy.checks_per_step > 1 else "")
        )
    if strategy.kind == "abTest":
        return f"segment for {strategy.iterations} checks, then all"
    shadow = "mirrored " if strategy.kind == "mirror" else ""
    return f"{shadow}candidate for {strategy.iterations} checks, then all at once"


def timing_row(stack: str, strategy: str, plan: DeliveryPlan | str) -> str:
    if isinstance(plan, str):
        return f"| {stack} | {strategy} | refused: {plan} | | | | |"
    policy = plan.policy
    sim = rendered(plan)
    healthy = cases.healthy(sim)
    full = minutes(healthy.full_traffic_at) + (" + approval" if plan.strategy.approval else "")
    if policy.analysis:
        breach = cases.rollback_seconds(cases.sustained_breach(sim))
        rollback = "before any user" if breach == 0 else minutes(breach)
        analysis = f"{policy.interval_seconds} s, {policy.threshold}"
    else:
        rollback, analysis = "no automatic rollback", "skipped"
    return (
        f"| {stack} | {strategy} | {_traffic(plan)} | {analysis} | {full} | {rollback} | {plan.strategy.person_acts} |"
    )


def timing_table(rows: list[tuple[str, str, DeliveryPlan | str]]) -> str:
    """The README's markdown table from (stack, strategy, its plan or why the stack refuses it)."""
    lines = [
        "| stack | strategy | traffic | tick, failed checks to roll back | time to full traffic "
        "| rollback after a sustained breach | a person acts |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [timing_row(stack, strategy, plan) for stack, strategy, plan in rows]
    return "\n".join(lines)
