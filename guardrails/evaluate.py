"""Runs the rules over one resource or a whole stack and turns findings into Violations with a level."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from guardrails.cost import GpuCeiling, gpu_ceiling
from guardrails.rule import GuardContext, Rule
from guardrails.rule_set import RULES
from guardrails.subject import Subject
from guardrails.violation import Finding, Violation


def _violations(rule: Rule, findings: list[Finding], context: GuardContext) -> list[Violation]:
    level = rule.level(context)
    if level == "disabled":
        return []
    return [Violation(rule.id, level, f.resource, f.message, f.fix) for f in findings]


def check_resource(subject: Subject, context: GuardContext, rules: Sequence[Rule] = RULES) -> list[Violation]:
    return [
        v
        for rule in rules
        if rule.resource_check is not None
        for v in _violations(rule, rule.resource_check(subject, context), context)
    ]


def check_stack(subjects: Sequence[Subject], context: GuardContext, rules: Sequence[Rule] = RULES) -> list[Violation]:
    return [
        v
        for rule in rules
        if rule.stack_check is not None
        for v in _violations(rule, rule.stack_check(subjects, context), context)
    ]


@dataclass(frozen=True)
class GuardReport:
    violations: tuple[Violation, ...]
    ceiling: GpuCeiling
    budget: int | None

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.mandatory]

    def summary(self) -> list[str]:
        lines = self.ceiling.summary(self.budget)
        advisory = len(self.violations) - len(self.mandatory)
        lines.append(f"guardrails: {len(self.mandatory)} mandatory, {advisory} advisory violation(s)")
        lines += [f"  {v}" for v in self.violations]
        return lines


def check_all(subjects: Sequence[Subject], context: GuardContext) -> GuardReport:
    """Every rule over every resource and over the stack: what the render and the preview report."""
    violations = [v for s in subjects for v in check_resource(s, context)] + check_stack(subjects, context)
    return GuardReport(tuple(violations), gpu_ceiling(subjects), context.gpu_budget)
