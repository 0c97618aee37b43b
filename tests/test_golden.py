"""Every stack renders exactly its golden render (tests/golden/<stack>/), volatile values masked.

A change to what the program emits fails here with a readable diff; when the change is intended,
`make golden` rewrites the files and the diff is reviewed in the pull request like any other.
"""

from __future__ import annotations

import os

import pytest

from tests.conftest import STACKS
from tests.golden import differences, render_files, store, stored

UPDATE = os.environ.get("GOLDEN_UPDATE") == "1"


@pytest.mark.parametrize("stack", STACKS)
def test_render_matches_the_golden_render(stack_runs, stack):
    actual = render_files(stack_runs[stack])
    if UPDATE:
        store(stack, actual)
    expected = stored(stack)
    assert expected, f"no golden render for stack {stack}: run `make golden`"
    report = differences(stack, expected, actual)
    assert not report, (
        f"stack {stack} renders differently from tests/golden/{stack}/ (`make golden` if intended):\n{report}"
    )


def test_every_golden_render_belongs_to_a_stack():
    from tests.golden import GOLDEN_DIR

    assert sorted(p.name for p in GOLDEN_DIR.iterdir() if p.is_dir()) == sorted(STACKS)
