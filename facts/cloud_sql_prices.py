"""List prices of Cloud SQL for PostgreSQL (Enterprise edition) compute, for the stack's own MLflow database.

Source: [CSQL-PRICING] https://www.usage.ai/blogs/gcp/cloud-sql/pricing/ (us-central1, May 2026, citing
Google's pricing page): dedicated-core Enterprise edition $0.0413 per vCPU-hour and $0.007 per GB-hour of
memory; a regional (high-availability) instance bills its standby too, so twice the compute. Shared-core
tiers (db-f1-micro, db-g1-small) have flat prices that source does not give: None, shown as unknown.
Storage ($/GB-month), backups and network are billed on top and are not counted. Check
https://cloud.google.com/sql/pricing for the stack's region before quoting a figure.
"""

from __future__ import annotations

import re

HOURS_PER_MONTH = 730
VCPU_HOUR_USD = 0.0413
MEMORY_GB_HOUR_USD = 0.007
PRICES_AS_OF = "us-central1 list prices, May 2026 (compute only)"

_CUSTOM = re.compile(r"^db-custom-(?P<cpus>\d+)-(?P<memory>\d+)$")


def monthly_compute_usd(tier: str, availability: str) -> float | None:
    """Compute of one instance a month; None for a tier this table has no price for."""
    match = _CUSTOM.match(tier)
    if not match:
        return None
    cpus, memory_gb = int(match["cpus"]), int(match["memory"]) / 1024
    hourly = cpus * VCPU_HOUR_USD + memory_gb * MEMORY_GB_HOUR_USD
    return round(hourly * HOURS_PER_MONTH * (2 if availability == "REGIONAL" else 1), 2)
