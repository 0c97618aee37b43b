"""The Flagger analysis simulator's per-stack table: time to full traffic, time to roll back a sustained
breach (from the first user, and worst case over every breach start), the longest burst that never rolls
back, a slow drift, zero traffic. Every row runs the Canary the render emits for that stack and strategy.

    python -m benchmarks.bench_canary_analysis [--write docs/benchmarks.md]

It prints a table and asserts nothing; the claims are tests (tests/test_canary_simulator.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

import pulumi  # noqa: E402

from catalogue.loader import load_catalogue  # noqa: E402
from manifests.delivery.simulation import cases as C  # noqa: E402
from manifests.delivery.timing import minutes, rendered  # noqa: E402
from ops.offline.mocks import ProgramMocks  # noqa: E402
from ops.stack_config import load_stack_config  # noqa: E402
from plan.platform import platform_refs  # noqa: E402
from plan.strategy_rows import strategy_plans  # noqa: E402
from settings.pulumi_config import read_stack_settings  # noqa: E402
from settings.stack import PROJECT  # noqa: E402

STACKS = ("prod", "staging", "dev", "local")
MODEL = "churn-prediction"
BEGIN, END = "<!-- CANARY-SIMULATOR:BEGIN -->", "<!-- CANARY-SIMULATOR:END -->"


def stack_settings(stack: str):
    config = load_stack_config(PROJECT_DIR, stack)
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    pulumi.runtime.set_mocks(ProgramMocks(config, preview=True), project=PROJECT, stack=stack, preview=True)
    return read_stack_settings().stack


def longest_harmless_burst(sim: C.Rendered, healthy: C.Run) -> int:
    """The longest burst (5 s steps) that rolls back at no start within two route-update cycles."""
    start = C.analysis_start(healthy)
    span = range(start, start + 2 * (60 + sim.interval))
    longest = 0
    for seconds in range(5, 125, 5):
        if any(C.spike(sim, start, seconds).rolled_back_at is not None for start in span):
            break
        longest = seconds
    return longest


def row(stack: str, strategy: str, plan) -> str:
    if isinstance(plan, str):
        return f"| {stack} | {strategy} | refused | | | | | |"
    sim = rendered(plan)
    healthy = C.healthy(sim)
    full = minutes(healthy.full_traffic_at)
    if not plan.policy.analysis:
        return f"| {stack} | {strategy} | {full} | no analysis | | | | |"
    first = C.rollback_seconds(C.sustained_breach(sim))
    starts = C.breach_starts(healthy)
    worst = max((C.rollback_seconds(C.sustained_breach(sim, s), s) or 0 for s in starts), default=0)
    drift, crossing = C.drift(sim, C.analysis_start(healthy))
    drift_s = None if drift.users_off_at is None else drift.users_off_at - crossing
    zero = C.zero_traffic(sim)
    zero_text = (
        f"rolled back at {minutes(zero.rolled_back_at)} on request-count"
        if zero.rolled_back_at is not None and zero.full_traffic_at is None
        else "PROMOTED"
    )

    def shown(seconds: int | None) -> str:
        return "before any user" if seconds == 0 else minutes(seconds)

    return (
        f"| {stack} | {strategy} | {full} | {shown(first)} | {shown(worst) if starts else 'n/a'} | "
        f"{longest_harmless_burst(sim, healthy)} s | {minutes(drift_s)} | {zero_text} |"
    )


def table() -> str:
    catalogue = load_catalogue(PROJECT_DIR / "models")
    lines = [
        "| stack | strategy | time to full traffic | rollback, breach from the first user | rollback, worst breach start "
        "| longest burst never rolled back | drift: objective crossed to rolled back | zero traffic |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for stack in STACKS:
        settings = stack_settings(stack)
        for strategy, plan in strategy_plans(settings, catalogue, platform_refs(settings), MODEL):
            lines.append(row(stack, strategy, plan))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="replace the block between the markers in this file")
    args = parser.parse_args()
    began = time.perf_counter()
    text = table()
    print(text)
    print(f"\n{time.perf_counter() - began:.1f} s")
    if args.write:
        page = args.write.read_text()
        if BEGIN not in page:
            raise SystemExit(f"{args.write} has no {BEGIN} marker")
        head, rest = page.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        args.write.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")


if __name__ == "__main__":
    main()
