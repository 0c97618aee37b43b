"""The `guardrails` stack key: GPU budget, the cost-allocation labels of GCP resources, and per-rule
enforcement overrides (each with its reason, so an exception is visible in the stack file)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from core.problems import Invalid
from core.spec import Located, Spec, located, pattern_in_words
from facts.gpu_machine_types import gpus_per_node
from settings.cluster import MAX_NODES
from settings.gpu_node_pools import GpuNodePoolSettings

# GCP label values: lowercase letters, digits, '_' and '-', at most 63 characters.
_GCP_LABEL_VALUE = r"^[a-z0-9_-]{1,63}$"
GcpLabelValue = Annotated[
    str,
    StringConstraints(pattern=_GCP_LABEL_VALUE),
    pattern_in_words(_GCP_LABEL_VALUE, "a GCP label value: 1 to 63 lowercase letters, digits, '_' or '-'"),
]
# The most GPUs one GKE cluster can hold: 15,000 nodes (its node limit) x 16 GPUs (a2-megagpu-16g, the
# largest GPU machine in facts/gpu_machine_types.py). A larger budget is a typo, not a plan.
MAX_GPU_BUDGET = MAX_NODES * 16
GPU_BUDGET_RULE = "gpu-budget"  # guardrails/cost.py GPU_BUDGET, the rule that enforces the budget


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
        None,
        ge=0,
        le=MAX_GPU_BUDGET,
        description="Most GPUs the stack may ever run (pools at max nodes plus canary pods).",
    )
    labels: CostLabels | None = Field(None, description="team and cost-centre labels for every GCP resource.")
    overrides: tuple[RuleOverride, ...] = ()

    @field_validator("overrides")
    @classmethod
    def _one_override_per_rule(cls, value: tuple[RuleOverride, ...]) -> tuple[RuleOverride, ...]:
        rules = [o.rule for o in value]
        twice = sorted({r for r in rules if rules.count(r) > 1})
        if twice:
            raise Invalid(
                f"{', '.join(twice)} is overridden more than once; only the last would count", "keep one per rule"
            )
        return value

    def level_of(self, rule: str, environment: str) -> str:
        """The override's level, else guardrails/rule.py Rule.level's default: mandatory in prod, advisory elsewhere."""
        default = "mandatory" if environment == "prod" else "advisory"
        return next((o.level for o in self.overrides if o.rule == rule), default)


def pool_gpus(pool: GpuNodePoolSettings) -> int:
    """The GPUs a pool holds at its autoscaler's maximum (guardrails/cost.py pools_ceiling's figure)."""
    return pool.autoscaling.total_max_node_count * gpus_per_node(
        pool.accelerator.type, pool.machine_type, pool.accelerator.count
    )


def budget_problems(
    guardrails: GuardrailSettings, pools: Sequence[GpuNodePoolSettings], environment: str
) -> list[Located]:
    """A budget the pools alone already exceed can never pass the gpu-budget rule (canary pods come on top):
    where that rule is mandatory, the stack is refused here, before any resource, instead of at the gate.
    Where it is advisory the render gate reports it as a warning, as it does every advisory rule."""
    ceiling = sum(pool_gpus(p) for p in pools)
    budget = guardrails.gpu_budget
    if budget is None or ceiling <= budget or guardrails.level_of(GPU_BUDGET_RULE, environment) != "mandatory":
        return []
    return [
        located(
            ("guardrails", "gpuBudget"),
            f"a budget of {budget} is below the {ceiling} GPUs the node pools alone can run at their maximum ("
            + "; ".join(f"{p.name}: {pool_gpus(p)}" for p in pools)
            + "), before any canary pod",
            f"raise gpuBudget to at least {ceiling} plus the canaries' GPU pods, or lower the pools' "
            "autoscaling.totalMaxNodeCount",
        )
    ]
