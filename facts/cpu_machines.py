"""CPU machine types a batch node pool may use: their size, what GKE leaves pods of it, and their spot price.

Sources:
  [CE-GP]   https://cloud.google.com/compute/docs/general-purpose-machines: E2, N2, N2D standard
            (4 GB per vCPU) and highmem (8 GB per vCPU) shapes. A machine type not in this table is
            refused by the batch pool's settings with the known ones listed: a wrong row costs a job that
            never schedules, a missing one costs one added row.
  [GKE-ALLOC] https://cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes ("Memory and CPU
            reservations"): GKE reserves memory (25% of the first 4 GiB, 20% of the next 4, 10% of the next
            8, 6% of the next 112, 2% above 128 GiB) plus a 100 MiB eviction threshold, and CPU (6% of the
            first core, 1% of the next, 0.5% of the next 2, 0.25% above 4) for the kubelet and the OS.
            Node DaemonSets (logging, metrics, Dataplane V2) use some of the rest; this table does not
            count them, so "fits" is necessary, not sufficient: leave headroom.
  [SPOT-E2] https://cloud.google.com/spot-vms/pricing, as stored by this project's page search (a
            translated snapshot, undated): E2 standard Spot vCPU $0.00872 per hour, memory $0.001169 per
            GiB-hour; the snapshot's region is not shown (the page defaults to us-central1). Spot prices
            change up to once a day: refresh before quoting a figure. N2/N2D spot prices are not recorded,
            and the cost line says "price unknown" for them instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

GIB = Decimal(2**30)


@dataclass(frozen=True)
class SpotPrice:
    """USD per hour, by component: a machine's price is vcpus x vcpu + memory x memory_gib."""

    vcpu: float
    memory_gib: float
    source: str


# [SPOT-E2], by machine family.
SPOT_PRICES: dict[str, SpotPrice] = {"e2": SpotPrice(0.00872, 0.001169, "[SPOT-E2]")}


@dataclass(frozen=True)
class CpuMachine:
    name: str
    vcpus: int
    memory_gib: int  # [CE-GP] lists GB that are GiB (2^30 bytes)

    @property
    def family(self) -> str:
        return self.name.split("-")[0]

    @property
    def allocatable_cpu(self) -> Decimal:
        """Cores left for pods after GKE's CPU reservation [GKE-ALLOC]."""
        return Decimal(self.vcpus) - _tiered(Decimal(self.vcpus), _CPU_TIERS)

    @property
    def allocatable_memory(self) -> Decimal:
        """Bytes left for pods after GKE's memory reservation and eviction threshold [GKE-ALLOC]."""
        memory = Decimal(self.memory_gib)
        return (memory - _tiered(memory, _MEMORY_TIERS)) * GIB - _EVICTION_BYTES

    def spot_hourly(self) -> float | None:
        price = SPOT_PRICES.get(self.family)
        return None if price is None else self.vcpus * price.vcpu + self.memory_gib * price.memory_gib


# (size of the band, share reserved), in cores or GiB, from the first band up [GKE-ALLOC].
_CPU_TIERS = ((1, "0.06"), (1, "0.01"), (2, "0.005"), (None, "0.0025"))
_MEMORY_TIERS = ((4, "0.25"), (4, "0.20"), (8, "0.10"), (112, "0.06"), (None, "0.02"))
_EVICTION_BYTES = Decimal(100 * 2**20)


def _tiered(amount: Decimal, tiers: tuple[tuple[int | None, str], ...]) -> Decimal:
    reserved, left = Decimal(0), amount
    for size, share in tiers:
        band = left if size is None else min(left, Decimal(size))
        reserved += band * Decimal(share)
        left -= band
        if left <= 0:
            break
    return reserved


def _shapes(family: str) -> tuple[CpuMachine, ...]:
    sizes = (2, 4, 8, 16, 32)
    return tuple(CpuMachine(f"{family}-standard-{n}", n, 4 * n) for n in sizes) + tuple(
        CpuMachine(f"{family}-highmem-{n}", n, 8 * n) for n in sizes if not (family == "e2" and n == 32)
    )


# [CE-GP]: E2 standard goes to 32 vCPUs, E2 highmem to 16; N2 and N2D further than listed here.
CPU_MACHINES: dict[str, CpuMachine] = {m.name: m for family in ("e2", "n2", "n2d") for m in _shapes(family)}


def cpu_machine(name: str) -> CpuMachine | None:
    return CPU_MACHINES.get(name)
