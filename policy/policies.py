"""The pack's policies, built from the shared rule registry: for every rule, one MANDATORY policy that
reports the violations this stack's guardrail context makes mandatory, and one ADVISORY policy
(`<rule>-advisory`) for the rest. So the same rule blocks a prod preview and only warns on dev, as the
stack's own `guardrails` settings say, with one pack for every stack.

Stack validations see every resource, including the program's guardrails component whose inputs
carry the stack's environment, GPU budget and overrides.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, StackValidationArgs, StackValidationPolicy

from guardrails.rule import Rule
from guardrails.rule_set import RULES
from guardrails.violation import Level
from policy.adapter import stack_reports

_LEVELS: tuple[tuple[Level, EnforcementLevel, str], ...] = (
    ("mandatory", EnforcementLevel.MANDATORY, ""),
    ("advisory", EnforcementLevel.ADVISORY, "-advisory"),
)


def _validator(rule: Rule, level: Level):
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for message, urn in stack_reports(rule, level, args.resources):
            report_violation(message, urn)

    return validate


def policies() -> list[StackValidationPolicy]:
    return [
        StackValidationPolicy(
            name=f"{rule.id}{suffix}",
            description=f"{rule.description} ({level} for this stack)",
            validate=_validator(rule, level),
            enforcement_level=enforcement,
        )
        for rule in RULES
        for level, enforcement, suffix in _LEVELS
    ]
