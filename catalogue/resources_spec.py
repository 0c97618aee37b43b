"""Resources, scaling and objectives of a catalogue entry."""

from __future__ import annotations

from pydantic import Field, model_validator

from catalogue.selection import MAX_REPLICAS
from core.problems import Invalid
from core.quantities import Quantity, parse_quantity
from core.spec import Spec


class ResourceAmounts(Spec):
    cpu: Quantity
    memory: Quantity


class Resources(Spec):
    requests: ResourceAmounts
    limits: ResourceAmounts

    @model_validator(mode="after")
    def _limits_cover_requests(self):
        for kind in ("cpu", "memory"):
            request, limit = getattr(self.requests, kind), getattr(self.limits, kind)
            if parse_quantity(str(limit)) < parse_quantity(str(request)):
                raise Invalid(
                    f"limits.{kind} {limit} is below requests.{kind} {request}", "raise the limit or lower the request"
                )
        return self


class Autoscaling(Spec):
    min_replicas: int = Field(
        2, ge=1, le=MAX_REPLICAS, description="Two by default so a node drain never takes the model down."
    )
    max_replicas: int = Field(10, ge=1, le=MAX_REPLICAS)
    target_cpu_utilization: int = Field(70, ge=1, le=100, description="Percent of the CPU request.")
    target_memory_utilization: int = Field(80, ge=1, le=100, description="Percent of the memory request.")

    @model_validator(mode="after")
    def _bounds(self):
        if self.max_replicas < self.min_replicas:
            raise Invalid(
                f"maxReplicas {self.max_replicas} is below minReplicas {self.min_replicas}", "raise maxReplicas"
            )
        return self


class Slo(Spec):
    """Service objectives; canary analysis and alerts read them."""

    latency_p99_ms: int = Field(500, ge=1, le=600_000)
    latency_p95_ms: int = Field(1000, ge=1, le=600_000, description="The SLA: rollback trigger when exceeded.")
    max_error_rate: float = Field(0.01, ge=0, le=1, description="Fraction of failed requests, 0.01 = 1%.")
    min_success_rate: float = Field(0.99, ge=0, le=1)


class Quality(Spec):
    """Model-quality thresholds; canary analysis and alerts read them."""

    min_accuracy: float = Field(0.85, ge=0, le=1)
    max_accuracy_drop: float = Field(0.05, ge=0, le=1, description="Rollback when accuracy falls this much.")
    max_drift: float = Field(0.3, ge=0, le=1, description="Data-drift score allowed during canary analysis.")
    rollback_drift: float = Field(0.5, ge=0, le=1, description="Drift score that triggers a rollback.")
    min_confidence: float = Field(0.7, ge=0, le=1)
