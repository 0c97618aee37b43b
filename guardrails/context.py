"""The guardrails' view of a stack's settings: environment, GPU budget and validated overrides."""

from __future__ import annotations

import difflib

from core.config_keys import config_key
from core.problems import ConfigError, Problem
from guardrails.rule import GuardContext
from guardrails.rule_set import RULE_IDS
from settings.stack import StackSettings


def _did_you_mean(rule: str) -> str:
    close = difflib.get_close_matches(rule, sorted(RULE_IDS), n=1)
    return f"did you mean '{close[0]}'? " if close else ""


def override_problems(settings: StackSettings) -> list[Problem]:
    source = f"Pulumi.{settings.stack}.yaml"
    return [
        Problem(
            source,
            f"{config_key('guardrails')}.overrides[{index}].rule",
            f"{override.rule!r} is not a guardrail rule",
            _did_you_mean(override.rule) + f"use one of {', '.join(sorted(RULE_IDS))}",
        )
        for index, override in enumerate(settings.guardrails.overrides)
        if override.rule not in RULE_IDS
    ]


def guard_context(settings: StackSettings) -> GuardContext:
    """Raises ConfigError naming the stack file when an override names no rule."""
    problems = override_problems(settings)
    if problems:
        raise ConfigError(problems)
    return GuardContext(
        environment=settings.environment,
        gpu_budget=settings.guardrails.gpu_budget,
        overrides={o.rule: o.level for o in settings.guardrails.overrides},
        spot_capacity=settings.cluster.mode != "kubeconfig",
    )
