"""Canary traffic weights: one rule for the stack's and the catalogue's `stepWeights`."""

from __future__ import annotations

from core.problems import Invalid


def checked_step_weights(value: tuple[int, ...]) -> tuple[int, ...]:
    """Strictly increasing percentages in 1..99: Flagger 1.44 stalls on a repeated weight
    (facts/flagger_analysis.py, nextStepWeight) and promotes after the last one."""
    if any(w < 1 or w > 99 for w in value) or list(value) != sorted(set(value)):
        raise Invalid(
            f"{list(value)} must be strictly increasing percentages between 1 and 99",
            "e.g. [1, 5, 25]; promotion to 100% follows the last step (a repeated weight would stall Flagger)",
        )
    return value
