"""A rule: an id, what it asks for, its checks, and how strict it is per environment."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from guardrails.subject import Subject
from guardrails.violation import Finding, Level


@dataclass(frozen=True)
class GuardContext:
    """What the rules need to know about the stack besides its resources."""

    environment: str
    gpu_budget: int | None = None  # most GPUs the stack may ever run; None = no budget declared
    overrides: Mapping[str, Level] = field(default_factory=dict)  # rule id -> level, from stack config
    # False where values arrive revealed (the policy pack): the secrets rule then cannot require Secret
    # objects to hold Pulumi secrets, and skips their own values instead of reporting them.
    secretness_known: bool = True
    # Whether the cluster offers spot nodes (GKE); a kind or other kubeconfig cluster does not, so a rule
    # that asks for spot cannot be met there (Rule.without_spot).
    spot_capacity: bool = True

    @property
    def production(self) -> bool:
        return self.environment == "prod"


ResourceCheck = Callable[[Subject, GuardContext], list[Finding]]
StackCheck = Callable[[Sequence[Subject], GuardContext], list[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    resource_check: ResourceCheck | None = None  # judges one resource alone
    stack_check: StackCheck | None = None  # judges the resources together (e.g. "every Deployment has a PDB")
    in_prod: Level = "mandatory"
    elsewhere: Level = "advisory"
    # Outside prod, on a cluster without spot nodes: the level instead of `elsewhere` (None: `elsewhere`).
    without_spot: Level | None = None

    def level(self, context: GuardContext) -> Level:
        """The stack's override if it has one, else mandatory in prod and advisory elsewhere (or the
        rule's own levels)."""
        if self.id in context.overrides:
            return context.overrides[self.id]
        if context.production:
            return self.in_prod
        if not context.spot_capacity and self.without_spot is not None:
            return self.without_spot
        return self.elsewhere


# The program registers one component of this type whose inputs are the stack's guardrail context, so
# every gate that sees the resources (the render, the policy pack) judges by the stack's own settings.
GUARDRAILS_TYPE = "mlops:guardrails:Guardrails"


def context_inputs(context: GuardContext) -> dict:
    return {
        "environment": context.environment,
        "gpuBudget": context.gpu_budget,
        "overrides": dict(context.overrides),
        "spotCapacity": context.spot_capacity,
    }


def context_from_inputs(inputs: Mapping) -> GuardContext:
    budget = inputs.get("gpuBudget")
    return GuardContext(
        environment=str(inputs.get("environment") or "prod"),
        gpu_budget=None if budget is None else int(float(budget)),
        overrides=dict(inputs.get("overrides") or {}),
        # Absent (an older stack): judged as a cluster with spot nodes, the stricter reading.
        spot_capacity=inputs.get("spotCapacity") is not False,
    )


def context_from_subjects(subjects: Sequence[Subject]) -> GuardContext:
    """The stack's context from its guardrails component; a stack without one is judged as production."""
    component = next((s for s in subjects if s.type == GUARDRAILS_TYPE), None)
    return context_from_inputs(component.plain if component else {})
