"""The `guardrails` stack key: GPU budget, the cost-allocation labels of GCP resources, and per-rule
enforcement overrides (each with its reason, so an exception is visible in the stack file)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from core.spec import Spec

# GCP label values: lowercase letters, digits, '_' and '-', at most 63 characters.
GcpLabelValue = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,63}$")]


class CostLabels(Spec):
    team: GcpLabelValue = Field(description="Owning team, as billing reports group by it.")
    cost_centre: GcpLabelValue = Field(description="Cost centre the stack's spend is charged to.")

    def as_gcp_labels(self) -> dict[str, str]:
        return {"team": self.team, "cost-centre": self.cost_centre}


class RuleOverride(Spec):
    rule: str = Field(description="A rule id (README: Guardrails).")
    level: Literal["mandatory", "advisory", "disabled"]
    reason: str = Field(min_length=10, description="Why this stack deviates; shown in every render.")


class GuardrailSettings(Spec):
    gpu_budget: int | None = Field(
        None, ge=0, description="Most GPUs the stack may ever run (pools at max nodes plus canary pods)."
    )
    labels: CostLabels | None = Field(None, description="team and cost-centre labels for every GCP resource.")
    overrides: tuple[RuleOverride, ...] = ()
