"""Guardrail cases shared by the three gates' tests: for every rule a passing, a failing and a
missing-property case, as wire-format objects. The render gate runs the Python rules on them, the
policy pack's adapter (and, in .venv-policy, the real pulumi-policy classes) runs them through
CrossGuard's argument objects, and the admission tests evaluate the CEL policies on the same objects.
The cases live per rule family (guard_cases_containers, _workloads, _stack), built from guard_objects.
"""

from __future__ import annotations

from tests.guard_cases_containers import CONTAINER_CASES
from tests.guard_cases_stack import STACK_CASES
from tests.guard_cases_workloads import WORKLOAD_CASES
from tests.guard_objects import Case

CASES: tuple[Case, ...] = CONTAINER_CASES + WORKLOAD_CASES + STACK_CASES

ADMISSION_CASES = tuple(c for c in CASES if len(c.subjects) == 1 and c.subjects[0].pod_spec is not None)
