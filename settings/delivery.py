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
from core.problems import Invalid
from core.spec import Located, Spec, located

# The alert channels Flagger's AlertProvider knows (flagger 1.44.0 CRD `type` enum).
AlertChannel = Literal["slack", "msteams", "discord", "rocket", "gchat"]


@dataclass(frozen=True)
class CanaryPolicy:
    """The canary analysis of one environment, every value decided."""

    analysis: bool  # false: Flagger promotes without analysis (skipAnalysis)
    interval_seconds: int  # one analysis tick: a check, and a weight step when it passes
    threshold: int  # failed checks before rollback
    step_weights: tuple[int, ...]  # canary traffic percentages, then promotion
    approval: bool  # a human opens the confirm-promotion gate before promotion
    progress_deadline_seconds: int


# Prod follows the source documents (1% -> 5% -> 25% -> promotion) at a pace a GKE route update
# (a minute or two) can follow; staging is faster; dev only checks that the canary starts.
ENVIRONMENT_DEFAULTS: dict[str, CanaryPolicy] = {
    "prod": CanaryPolicy(True, 120, 3, (1, 5, 25), True, 1800),
    "staging": CanaryPolicy(True, 60, 2, (10, 50), True, 1200),
    "dev": CanaryPolicy(False, 60, 1, (50,), False, 900),
    "local": CanaryPolicy(False, 30, 1, (50,), False, 600),
}


class CanaryOverrides(Spec):
    analysis: bool | None = Field(None, description="Analyse each step; false promotes directly (dev default).")
    interval_seconds: int | None = Field(None, ge=10, le=3600, description="Seconds between analysis ticks.")
    threshold: int | None = Field(None, ge=1, le=20, description="Failed checks before rollback.")
    step_weights: tuple[int, ...] | None = Field(
        None, min_length=1, description="Canary traffic percentages in increasing order, each below 100."
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
        if value is None:
            return value
        if any(w < 1 or w > 99 for w in value) or list(value) != sorted(set(value)):
            raise Invalid(
                f"{list(value)} must be strictly increasing percentages between 1 and 99",
                "e.g. [1, 5, 25]; promotion to 100% follows the last step",
            )
        return value


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
