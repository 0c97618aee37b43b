"""Exit codes of `python -m ops preview|up|refresh|promote|rollback`: one meaning each, so CI can branch on them."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # the update or the program failed (the error is printed)
    BAD_INPUT = 2  # a config, catalogue or snapshot problem (the same code `render` uses)
    CHANGES = 3  # refresh --expect-no-changes found drift
    REFUSED = 4  # protected infrastructure would be deleted or replaced, or a promotion precondition failed
    CONCURRENT = 5  # another update holds the stack's lock (and --wait ran out, if given)
    POLICY = 6  # a mandatory policy was violated
    ENVIRONMENT = 7  # the Pulumi CLI is missing or too old, or a plugin could not be installed
