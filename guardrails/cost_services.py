"""What a stack's managed data services cost a month at list price, beside the GPU ceiling (guardrails/cost.py):
each Memorystore for Redis instance the program registers, at its tier and capacity (facts/feast.py
REDIS_PRICES; capacity is billed whole, every hour), and each Cloud SQL instance (the stack's own MLflow
server's database), at its tier and availability (facts/cloud_sql_prices.py, compute only). Read from the registered resources, like the GPU
ceiling, so the preview's cost line and the render agree with what `pulumi up` would create."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from facts.cloud_sql_prices import PRICES_AS_OF as CLOUD_SQL_PRICES_AS_OF
from facts.cloud_sql_prices import monthly_compute_usd
from facts.feast import REDIS_PRICES_AS_OF, redis_monthly_usd
from guardrails.subject import Subject

REDIS_INSTANCE = "gcp:redis/instance:Instance"
CLOUD_SQL_INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance"


@dataclass(frozen=True)
class ServiceCost:
    resource: str  # the Pulumi resource name
    what: str  # e.g. "Memorystore for Redis STANDARD_HA 5 GB"
    monthly_usd: float | None  # None: no price for this size in facts/
    prices_as_of: str = REDIS_PRICES_AS_OF

    def describe(self) -> str:
        shown = f"${self.monthly_usd:,.0f}/month" if self.monthly_usd is not None else "price unknown"
        return f"{self.what} ({self.resource}): {shown} ({self.prices_as_of})"


def service_costs(subjects: Sequence[Subject]) -> tuple[ServiceCost, ...]:
    costs = []
    for s in subjects:
        if s.type == REDIS_INSTANCE:
            tier, size = str(s.plain.get("tier") or "BASIC"), int(s.plain.get("memorySizeGb") or 0)
            costs.append(ServiceCost(s.name, f"Memorystore for Redis {tier} {size} GB", redis_monthly_usd(tier, size)))
        elif s.type == CLOUD_SQL_INSTANCE:
            settings = s.plain.get("settings") or {}
            tier, availability = str(settings.get("tier") or ""), str(settings.get("availabilityType") or "ZONAL")
            costs.append(
                ServiceCost(
                    s.name,
                    f"Cloud SQL for PostgreSQL {tier} {availability}",
                    monthly_compute_usd(tier, availability),
                    CLOUD_SQL_PRICES_AS_OF,
                )
            )
    return tuple(costs)


def services_monthly_usd(costs: Sequence[ServiceCost]) -> float | None:
    """The services' sum; None when any has no price (the cost line then says unknown rather than less)."""
    if any(c.monthly_usd is None for c in costs):
        return None
    return sum(c.monthly_usd or 0.0 for c in costs)
