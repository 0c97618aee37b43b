"""The Flagger analysis simulator on the Canaries the render emits, per stack: a sustained breach rolls back
within the source documents' targets, one spike never does, a slow drift does on its latency check,
zero traffic never passes (and fails on the guard, not on a success rate computed from nothing)."""

from __future__ import annotations

import copy

import pytest

from manifests.delivery.simulation import cases as C
from manifests.delivery.simulation.flagger import Scenario, simulate
from manifests.delivery.simulation.series import Behaviour
from manifests.delivery.timing import rendered
from plan.delivery import GATEWAY_ROUTE_UPDATE_SECONDS
from plan.strategy_rows import strategy_plans
from tests.delivery_fixtures import CATALOGUE, plans_for, platform_refs, stack_settings

pytestmark = pytest.mark.unit

# The source documents: prod rolls back within 2.5 minutes of a sustained breach; this wave: staging 2.
TARGET = {"prod": 150, "staging": 120}
ANALYSED = ("prod", "staging")
MODEL = "churn-prediction"


def sim(stack: str, model: str = MODEL) -> C.Rendered:
    return rendered(plans_for(stack)[model])


@pytest.mark.parametrize("stack", ANALYSED)
def test_a_healthy_rollout_promotes_without_a_single_failed_check(stack):
    plans = plans_for(stack)
    for model, plan in plans.items():
        if plan.serving.model.delivery.load_test is None and not plan.serving.runtime.generative:
            continue  # no load test: see the next test
        run = C.healthy(sim(stack, model))
        assert run.failed_checks == [], (model, run.failed_checks)
        assert run.full_traffic_at is not None and run.succeeded_at is not None


@pytest.mark.parametrize("stack", ANALYSED)
def test_without_a_load_test_the_analysis_needs_live_traffic_and_the_plan_says_so(stack):
    plan = plans_for(stack)["image-classifier"]  # Triton, no delivery.loadTest
    assert any("relies on live traffic alone" in w for w in plan.warnings)
    quiet = sim(stack, "image-classifier").run(Scenario("50 rps live"))
    assert quiet.full_traffic_at is None and {c for _, c in quiet.failed_checks} == {"request-count"}
    busy = sim(stack, "image-classifier").run(Scenario("3000 rps live", user_rps=3000.0))
    assert busy.full_traffic_at is not None
    # Its first check comes as the Gateway applies 1%: that window holds no request yet, one failed check
    # (of three) on every rollout. A load test starts before the first step and avoids it.
    assert [check for _, check in busy.failed_checks] == ["request-count"]


@pytest.mark.parametrize("stack", ANALYSED)
def test_a_sustained_breach_rolls_back_within_the_target_after_threshold_failed_checks(stack):
    rendered_canary = sim(stack)
    run = C.sustained_breach(rendered_canary)
    threshold = rendered_canary.canary["spec"]["analysis"]["threshold"]
    assert threshold >= 3
    assert [check for _, check in run.failed_checks] == ["success-rate-percent"] * threshold
    assert run.full_traffic_at is None and run.rolled_back_at is not None
    assert 0 < C.rollback_seconds(run) <= TARGET[stack]


@pytest.mark.parametrize("stack", ANALYSED)
def test_a_breach_starting_mid_rollout_waits_at_most_for_one_route_update(stack):
    """Flagger analyses nothing while the Gateway applies a weight: a breach that begins then is seen after
    it. Worst case: that update, `threshold` ticks, the rollback's own update."""
    rendered_canary = sim(stack)
    healthy = C.healthy(rendered_canary)
    starts = C.breach_starts(healthy)
    assert len(starts) > 10
    times = [C.rollback_seconds(C.sustained_breach(rendered_canary, start), start) for start in starts]
    assert None not in times
    analysis = rendered_canary.canary["spec"]["analysis"]
    interval = int(analysis["interval"].removesuffix("s"))
    assert max(times) <= 2 * GATEWAY_ROUTE_UPDATE_SECONDS + analysis["threshold"] * interval
    if stack == "prod":
        assert max(times) <= TARGET["prod"]


@pytest.mark.parametrize("stack", ANALYSED)
@pytest.mark.parametrize("seconds", [5, 10])
def test_one_spike_never_rolls_back(stack, seconds):
    rendered_canary = sim(stack)
    healthy = C.healthy(rendered_canary)
    span = 2 * (GATEWAY_ROUTE_UPDATE_SECONDS + rendered_canary.interval)  # two step cycles, every phase
    seen = 0
    for start in range(healthy.exposed_at, healthy.exposed_at + span):
        run = C.spike(rendered_canary, start, seconds)
        assert run.rolled_back_at is None, (start, run.failed_checks)
        assert run.full_traffic_at is not None
        seen += bool(run.failed_checks)
    assert seen > 0  # the checks did see the spike: it failed checks, fewer than the threshold


@pytest.mark.parametrize("stack", ANALYSED)
def test_a_longer_burst_does_roll_back(stack):
    rendered_canary = sim(stack)
    healthy = C.healthy(rendered_canary)
    assert any(
        C.spike(rendered_canary, start, 30).rolled_back_at is not None
        for start in range(healthy.exposed_at, healthy.exposed_at + 60)
    )


@pytest.mark.parametrize("stack", ANALYSED)
def test_a_slow_drift_rolls_back_on_its_latency_check(stack):
    rendered_canary = sim(stack)
    healthy = C.healthy(rendered_canary)
    run, crossing = C.drift(rendered_canary, healthy.exposed_at)
    assert run.full_traffic_at is None and run.users_off_at is not None
    # The load keeps its rate as the candidate slows down: the latency check fails, not the guard.
    assert {check for _, check in run.failed_checks} == {"latency-p99-ms"}
    analysis = rendered_canary.canary["spec"]["analysis"]
    interval = int(analysis["interval"].removesuffix("s"))
    assert run.users_off_at - crossing <= 2 * GATEWAY_ROUTE_UPDATE_SECONDS + (analysis["threshold"] + 1) * interval


@pytest.mark.parametrize("stack", ANALYSED)
def test_zero_traffic_never_promotes_and_fails_on_the_guard(stack):
    run = C.zero_traffic(sim(stack))
    assert run.full_traffic_at is None and run.rolled_back_at is not None
    assert {check for _, check in run.failed_checks} == {"request-count"}


@pytest.mark.parametrize("stack", ANALYSED)
def test_one_percent_of_live_traffic_without_load_is_judged_by_the_guard_only(stack):
    """2 requests in a window, 1 failing: no 50% success rate (a rollback on noise), no pass either."""
    candidate = Behaviour(failure=lambda t: 0.5)
    run = sim(stack).run(Scenario("starved", candidate, user_rps=20.0, load_test=False))  # 1%: 0.2 rps
    assert run.full_traffic_at is None
    assert {check for _, check in run.failed_checks} == {"request-count"}


@pytest.mark.parametrize("stack", ["dev", "local"])
def test_stacks_without_analysis_promote_at_once_even_a_breach(stack):
    run = C.sustained_breach(sim(stack))
    assert run.failed_checks == [] and run.rolled_back_at is None and run.full_traffic_at is not None


def test_blue_green_and_mirror_roll_back_before_any_user_and_ab_only_exposes_the_segment():
    settings = stack_settings("prod")
    plans = dict(strategy_plans(settings, CATALOGUE, platform_refs(settings), MODEL))
    for strategy in ("blueGreen", "mirror"):
        run = C.sustained_breach(rendered(plans[strategy]))
        assert run.rolled_back_at is not None and run.exposed_at is None and C.rollback_seconds(run) == 0
        assert C.healthy(rendered(plans[strategy])).failed_checks == []
    ab = rendered(plans["abTest"])
    run = C.sustained_breach(ab)
    assert 0 < C.rollback_seconds(run) <= TARGET["prod"]
    assert C.healthy(ab).failed_checks == []


def test_repeated_step_weights_stall_flagger_so_dwell_uses_one_percent_steps():
    stalled = copy.deepcopy(sim("prod").canary)
    stalled["spec"]["analysis"]["stepWeights"] = [1, 1, 1, 5]
    run = simulate(stalled, 5, GATEWAY_ROUTE_UPDATE_SECONDS, Scenario("healthy", horizon=1800))
    assert run.full_traffic_at is None and run.failed_checks == []  # never advances, never promotes
    assert sim("prod").canary["spec"]["analysis"]["stepWeights"] == [1, 2, 3, 5, 6, 7, 25, 26, 27]


def test_the_simulator_refuses_a_check_it_does_not_model():
    canary = copy.deepcopy(sim("prod").canary)
    canary["spec"]["analysis"]["metrics"].append(
        {"name": "made-up", "interval": "15s", "thresholdRange": {"min": 1}, "templateRef": {"name": "x"}}
    )
    with pytest.raises(KeyError, match="does not model check 'made-up'"):
        simulate(canary, 5, GATEWAY_ROUTE_UPDATE_SECONDS, Scenario("healthy"))
