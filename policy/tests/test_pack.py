"""The policy pack with the real pulumi-policy classes (run in .venv-policy: `make test-policy`).

PolicyPack(...) starts the analyzer server and blocks, so it is never called here: the policies it
would serve are built by policy.policies and validated with real StackValidationArgs/PolicyResource.
"""

from __future__ import annotations

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    StackValidationArgs,
    StackValidationPolicy,
)

from guardrails.rule import GUARDRAILS_TYPE, GuardContext, context_inputs
from guardrails.rule_set import RULES
from policy.policies import policies
from tests.guard_cases import CASES

NEEDS_SECRETNESS = {"secrets-as-secret-config:fail-plain-secret"}


def resource(type_token: str, name: str, props: dict) -> PolicyResource:
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    return PolicyResource(
        type_token, props, f"urn:pulumi:s::p::{type_token}::{name}", name, options, None, None, [], {}
    )


def stack(case, **context) -> StackValidationArgs:
    ctx = GuardContext(case.environment, gpu_budget=case.gpu_budget, **context)
    return StackValidationArgs(
        [resource(GUARDRAILS_TYPE, "s", context_inputs(ctx))]
        + [resource(s.type, s.name, s.plain) for s in case.subjects]
    )


def run(policy: StackValidationPolicy, args: StackValidationArgs) -> list[tuple[str, str | None]]:
    reported: list[tuple[str, str | None]] = []
    policy.validate(args, lambda message, urn=None: reported.append((message, urn)))
    return reported


PACK = {p.name: p for p in policies()}


def test_two_policies_per_rule_with_their_enforcement_levels():
    assert len(PACK) == 2 * len(RULES)
    for rule in RULES:
        assert PACK[rule.id].enforcement_level == EnforcementLevel.MANDATORY
        assert PACK[f"{rule.id}-advisory"].enforcement_level == EnforcementLevel.ADVISORY


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_policy_reports_the_case(case):
    mandatory = case.environment == "prod"
    blocking = run(PACK[case.rule], stack(case))
    warning = run(PACK[f"{case.rule}-advisory"], stack(case))
    found = blocking if mandatory else warning
    assert bool(found) == (case.violates and case.id not in NEEDS_SECRETNESS), found
    assert (warning if mandatory else blocking) == []


def test_override_from_the_stack_turns_a_blocking_violation_into_a_warning():
    case = next(c for c in CASES if c.id == "gpu-limit-per-container:fail-three-gpus")
    assert run(PACK["gpu-limit-per-container"], stack(case))
    relaxed = stack(case, overrides={"gpu-limit-per-container": "advisory"})
    assert run(PACK["gpu-limit-per-container"], relaxed) == []
    assert run(PACK["gpu-limit-per-container-advisory"], relaxed)


def judged_in(case, context: GuardContext) -> StackValidationArgs:
    """The case's resources under a guardrails component carrying this context."""
    return StackValidationArgs(
        [resource(GUARDRAILS_TYPE, "s", context_inputs(context))]
        + [resource(s.type, s.name, s.plain) for s in case.subjects]
    )


def test_batch_off_spot_blocks_on_a_gke_dev_stack_and_only_warns_on_a_kind_cluster():
    """The stack's spot capacity reaches the pack through the guardrails component's inputs."""
    case = next(c for c in CASES if c.id == "batch-on-spot:fail-no-toleration")
    for environment in ("dev", "staging"):
        on_gke = judged_in(case, GuardContext(environment))
        assert run(PACK["batch-on-spot"], on_gke) and run(PACK["batch-on-spot-advisory"], on_gke) == []
    on_kind = judged_in(case, GuardContext("local", spot_capacity=False))
    assert run(PACK["batch-on-spot"], on_kind) == [] and run(PACK["batch-on-spot-advisory"], on_kind)
