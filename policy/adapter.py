"""Gate 1's adapter: CrossGuard's view of a stack (resources with type, props, URN, name) turned into
the shared rules' subjects, and violations back into (message, URN) reports. No pulumi-policy import
here, so the main test suite exercises it directly; policy/policies.py wraps it in the real classes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from guardrails.evaluate import check_resource, check_stack
from guardrails.rule import Rule, context_from_subjects
from guardrails.subject import Subject
from guardrails.violation import Level


class PolicyResourceLike(Protocol):
    resource_type: str
    props: Any
    urn: str
    name: str


def plain(value: Any) -> Any:
    """CrossGuard hands props as mappings/sequences (secret-preserving proxies during remediation)."""
    if isinstance(value, (str, bytes)):
        return value
    if hasattr(value, "items"):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Iterable):
        return [plain(v) for v in value]
    return value


def subjects_from(resources: Sequence[PolicyResourceLike]) -> list[Subject]:
    return [Subject(r.resource_type, r.name, plain(r.props), r.urn) for r in resources]


def stack_reports(rule: Rule, level: Level, resources: Sequence[PolicyResourceLike]) -> list[tuple[str, str | None]]:
    """(message, URN or None for the whole stack) for each violation of `rule` at `level` in this stack."""
    subjects = subjects_from(resources)
    # The pack sees secrets revealed: say so, so the secrets rule does not flag Secret objects' own values.
    context = dataclasses.replace(context_from_subjects(subjects), secretness_known=False)
    reports: list[tuple[str, str | None]] = []
    for subject in subjects:
        reports += [
            (f"{v.resource}: {v.message} (fix: {v.fix})", subject.urn or None)
            for v in check_resource(subject, context, rules=(rule,))
            if v.level == level
        ]
    urn_by_label = {s.label: s.urn for s in subjects}
    reports += [
        (f"{v.resource}: {v.message} (fix: {v.fix})", urn_by_label.get(v.resource) or None)
        for v in check_stack(subjects, context, rules=(rule,))
        if v.level == level
    ]
    return reports
