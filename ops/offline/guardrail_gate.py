"""Gate 2: the guardrails over an offline run. Mandatory violations stop the render before anything
is written; the summary prints every violation and the stack's GPU ceiling."""

from __future__ import annotations

from guardrails.evaluate import GuardReport, check_all
from guardrails.rule import context_from_subjects
from guardrails.subject import Subject
from ops.offline.program_run import ProgramRun


class GuardrailViolations(Exception):
    def __init__(self, report: GuardReport):
        self.report = report
        super().__init__("\n".join(str(v) for v in report.mandatory))


def guard_run(run: ProgramRun) -> GuardReport:
    """Every rule over what the program registered, judged by the stack's own guardrail context."""
    subjects = [Subject(r.type, r.name, r.inputs, r.urn) for r in run.resources]
    return check_all(subjects, context_from_subjects(subjects))


def enforce(run: ProgramRun) -> GuardReport:
    report = guard_run(run)
    if report.mandatory:
        raise GuardrailViolations(report)
    return report
