"""Gate 1 (the CrossGuard pack) through its adapter, with CrossGuard's own argument shape: resources
with resource_type / props (secrets revealed, as CrossGuard hands them) / urn / name. The real
pulumi-policy classes are exercised in policy/tests (run in .venv-policy: `make test-policy`)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from guardrails.rule import GUARDRAILS_TYPE, GuardContext, context_inputs
from guardrails.rule_set import rule
from policy.adapter import stack_reports
from tests.guard_cases import CASES
from tests.guard_objects import Case

# The pack sees every value revealed, so it cannot tell a plain Secret from one filled from secret config.
NEEDS_SECRETNESS = {"secrets-as-secret-config:fail-plain-secret"}


def policy_resources(case: Case, **context) -> list[SimpleNamespace]:
    component = SimpleNamespace(
        resource_type=GUARDRAILS_TYPE,
        props=context_inputs(GuardContext(case.environment, gpu_budget=case.gpu_budget, **context)),
        urn="urn:pulumi:s::p::mlops:guardrails:Guardrails::s",
        name="s",
    )
    return [component] + [
        SimpleNamespace(resource_type=s.type, props=s.plain, urn=f"urn:pulumi:s::p::{s.type}::{s.name}", name=s.name)
        for s in case.subjects
    ]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_pack_reports_what_the_rule_finds_at_the_stack_level(case):
    level = "mandatory" if case.environment == "prod" else "advisory"
    other = "advisory" if level == "mandatory" else "mandatory"
    reports = stack_reports(rule(case.rule), level, policy_resources(case))
    expected = case.violates and case.id not in NEEDS_SECRETNESS
    assert bool(reports) == expected, reports
    assert stack_reports(rule(case.rule), other, policy_resources(case)) == []
    for message, urn in reports:
        assert "(fix: " in message
        if case.rule != "gpu-budget":  # the budget is the whole stack's
            assert urn and urn.startswith("urn:pulumi:")


def test_a_stack_override_moves_a_violation_between_the_two_policies():
    case = next(c for c in CASES if c.id == "image-tag:fail-latest")
    resources = policy_resources(case, overrides={"image-tag": "advisory"})
    assert stack_reports(rule("image-tag"), "mandatory", resources) == []
    assert len(stack_reports(rule("image-tag"), "advisory", resources)) == 1


def test_without_the_guardrails_component_the_stack_is_judged_as_production():
    case = next(c for c in CASES if c.id == "image-digest:fail-tag-only")
    resources = policy_resources(case)[1:]
    assert len(stack_reports(rule("image-digest"), "mandatory", resources)) == 2  # server and init container
