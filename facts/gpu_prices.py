"""List prices of GPUs on Compute Engine, per accelerator and region: on-demand and spot, USD per GPU-hour.

GPU component only: the vCPUs, memory and disks of the node (and for g2/a2/a3 machine types the
rest of the bundled VM) are billed on top and are not counted here. Committed-use discounts,
reservations and enterprise pricing are not reflected.

Sources, and how fresh they are (this repository was written without internet access):
  [GPU-PRICING]  https://cloud.google.com/compute/gpus-pricing (Iowa, us-central1), list prices as
                 published during 2024-2025, transcribed from memory of that page and NOT re-checked
                 when this table was written. Spot prices change (up to once a day, [SPOT-PRICING]).
                 Refresh every row against the page (or the Cloud Billing Catalog API) before
                 quoting a figure; until then treat the monthly ceilings as estimates to about +-20%.
  [SPOT-PRICING] https://cloud.google.com/spot-vms/pricing: "Spot prices are variable and can change up
                 to once every day", discounts "up to 91%" off on-demand.
  [BILLING-2026] tgarg01/silybench-data derived/csv/gpu_prices.csv, row "gcp,H100-80GB,spot": GPU
                 $5.8632 per hour, a3-highgpu-1g Spot, us-central1, read from the Cloud Billing catalog
                 on 2026-09-26. Its on-demand row gives only the whole VM, so H100 on-demand is unknown.
A price this table does not have is None, and the ceiling says "unknown" instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass

HOURS_PER_MONTH = 730  # the convention of Google's pricing pages and calculator
PRICES_AS_OF = "2024-2025 list prices (H100 spot: 2026-09-26); not re-checked since"


@dataclass(frozen=True)
class GpuPrice:
    accelerator: str  # GKE accelerator type, as in facts/gpus.py
    region: str
    on_demand: float | None  # USD per GPU-hour
    spot: float | None  # USD per GPU-hour
    source: str

    def hourly(self, spot: bool) -> float | None:
        return self.spot if spot else self.on_demand


PRICES: tuple[GpuPrice, ...] = (
    GpuPrice(accelerator="nvidia-tesla-t4", region="us-central1", on_demand=0.35, spot=0.14, source="[GPU-PRICING]"),
    GpuPrice(accelerator="nvidia-l4", region="us-central1", on_demand=0.56, spot=0.22, source="[GPU-PRICING]"),
    GpuPrice(accelerator="nvidia-tesla-v100", region="us-central1", on_demand=2.48, spot=0.74, source="[GPU-PRICING]"),
    GpuPrice(
        accelerator="nvidia-tesla-p4",
        region="us-central1",
        on_demand=0.60,
        spot=None,
        source="[GPU-PRICING]; spot not recalled",
    ),
    GpuPrice(
        accelerator="nvidia-tesla-p100",
        region="us-central1",
        on_demand=1.46,
        spot=None,
        source="[GPU-PRICING]; spot not recalled",
    ),
    GpuPrice(accelerator="nvidia-tesla-a100", region="us-central1", on_demand=2.93, spot=1.17, source="[GPU-PRICING]"),
    GpuPrice(accelerator="nvidia-a100-80gb", region="us-central1", on_demand=3.93, spot=1.57, source="[GPU-PRICING]"),
    GpuPrice(accelerator="nvidia-h100-80gb", region="us-central1", on_demand=None, spot=5.86, source="[BILLING-2026]"),
)


def gpu_price(accelerator: str, region: str) -> GpuPrice | None:
    return next((p for p in PRICES if p.accelerator == accelerator and p.region == region), None)
