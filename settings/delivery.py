"""The stack's `delivery` key: how Flagger rolls new model versions out in this environment.

Everything is optional: an unset field takes its environment's default (ENVIRONMENT_DEFAULTS), so a
stack file only says where it differs. `fallbackActive` is the one switch that moves a model's
traffic to its catalogue fallback (see manifests/delivery/fallback.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, field_validator

from core.environments import Environment
from core.spec import Located, Spec, located
from core.traffic_weights import checked_step_weights

# The alert channels Flagger's AlertProvider knows (flagger 1.44.0 CRD `type` enum).
AlertChannel = Literal["slack", "msteams", "discord", "rocket", "gchat"]


@dataclass(frozen=True)
class CanaryPolicy:
    """The canary analysis of one environment, every value decided."""

    analysis: bool  # false: Flagger promotes without analysis (skipAnalysis)
    interval_seconds: int  # one analysis tick: a check, and a weight step when it passes
    threshold: int  # failed checks (in total, Flagger never resets them) before rollback
    step_weights: tuple[int, ...]  # canary traffic levels, then promotion
    approval: bool  # a human opens the confirm-promotion gate before promotion
    progress_deadline_seconds: int
    checks_per_step: int = 1  # passing checks (each its own +1% step) at every level before the next

    def traffic_steps(self, levels: tuple[int, ...] | None = None) -> tuple[int, ...]:
        """The stepWeights Flagger gets: each level held for `checks_per_step` checks as level, level+1, ...

        Flagger 1.44 stalls on a repeated weight (facts/flagger_analysis.py), so a level is held by
        +1% steps; plan/delivery.py refuses levels too close together for that."""
        levels = levels or self.step_weights
        return tuple(level + k for level in levels for k in range(self.checks_per_step))


# Detection and dwell are set apart. The tick is short, so `threshold` failed checks and the rollback
# fit in the source documents' 2.5 minutes (prod) and 2 (staging) with the Gateway's route update: Flagger
# (>= 1.42) waits for the Gateway to apply each weight before it analyses again (facts/flagger_analysis.py),
# so a tick shorter than a route update never judges a weight the load balancer has not applied yet.
# Dwell comes from checks_per_step: prod holds 1%, 5% and 25% for three passing checks each (1-2-3%,
# 5-6-7%, 25-26-27%), each after its own route update. Dev only checks that the canary starts.
ENVIRONMENT_DEFAULTS: dict[str, CanaryPolicy] = {
    "prod": CanaryPolicy(
        analysis=True,
        interval_seconds=10,
        threshold=3,
        step_weights=(1, 5, 25),
        approval=True,
        progress_deadline_seconds=1800,
        checks_per_step=3,
    ),
    "staging": CanaryPolicy(
        analysis=True,
        interval_seconds=10,
        threshold=3,
        step_weights=(10, 50),
        approval=True,
        progress_deadline_seconds=1200,
        checks_per_step=2,
    ),
    "dev": CanaryPolicy(
        analysis=False,
        interval_seconds=60,
        threshold=1,
        step_weights=(50,),
        approval=False,
        progress_deadline_seconds=900,
    ),
    "local": CanaryPolicy(
        analysis=False,
        interval_seconds=30,
        threshold=1,
        step_weights=(50,),
        approval=False,
        progress_deadline_seconds=600,
    ),
}


class CanaryOverrides(Spec):
    analysis: bool | None = Field(None, description="Analyse each step; false promotes directly (dev default).")
    interval_seconds: int | None = Field(
        None, ge=10, le=3600, description="Seconds between analysis ticks (Flagger's minimum is 10)."
    )
    threshold: int | None = Field(None, ge=1, le=20, description="Failed checks before rollback.")
    step_weights: tuple[int, ...] | None = Field(
        None, min_length=1, description="Canary traffic levels in increasing order, each below 100."
    )
    checks_per_step: int | None = Field(
        None, ge=1, le=10, description="Passing checks at each level (as +1% steps) before the next level."
    )
    approval: bool | None = Field(None, description="Wait for a human before promotion (staging and prod default).")
    # At most a day: until the deadline Flagger neither rolls a stuck canary back nor frees its pods (a
    # second replica set, GPU nodes for GPU models), and a canary not ready within a day is stuck.
    progress_deadline_seconds: int | None = Field(
        None, ge=60, le=86400, description="Flagger's progressDeadlineSeconds."
    )

    @field_validator("step_weights")
    @classmethod
    def _increasing(cls, value: tuple[int, ...] | None) -> tuple[int, ...] | None:
        return None if value is None else checked_step_weights(value)


class DeliverySettings(Spec):
    canary: CanaryOverrides = Field(default_factory=CanaryOverrides)
    fallback_active: tuple[str, ...] = Field(
        (), description="Models whose traffic goes to their catalogue fallback; remove a name to switch back."
    )
    alert_channel: AlertChannel = Field("slack", description="Flagger AlertProvider type for canary events.")

    def problems(self, environment: Environment) -> list[Located]:
        """A human gate that would never be asked: with skipAnalysis Flagger promotes at once, before any
        confirm-promotion webhook (flagger v1.44.0 pkg/controller/scheduler.go shouldSkipAnalysis)."""
        policy = self.policy(environment)
        if policy.approval and not policy.analysis:
            set_here = "approval" if self.canary.approval else "analysis"
            return [
                located(
                    ("delivery", "canary", set_here),
                    f"approval is on but analysis is off in {environment}, and Flagger promotes without analysis "
                    "before asking the approval gate, so no one would ever be asked",
                    "set canary.analysis: true to keep the gate, or canary.approval: false",
                )
            ]
        return []

    def policy(self, environment: Environment | str) -> CanaryPolicy:
        base = ENVIRONMENT_DEFAULTS[environment]
        values = {k: v for k, v in self.canary.model_dump().items() if v is not None}
        return CanaryPolicy(**{**base.__dict__, **values})
