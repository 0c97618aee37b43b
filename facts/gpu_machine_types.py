"""Machine types whose GPUs come with them (g2, a2, a3, a4): one row each, the type fixes the GPU
model, the count and the capacity models Compute Engine sells it under.

The accelerators themselves, the capacity models and the sources cited below ([CE-GPU], [AIH-GPU])
are facts/gpus.py; the checks against both tables are facts/gpu_rules.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from facts.gpus import ANY_CAPACITY, FLEX_START, RESERVATION, SPOT


@dataclass(frozen=True)
class GpuMachineType:
    """A machine type whose GPUs come with it: the type fixes both the model and the count."""

    name: str
    accelerator: str
    gpus: int
    capacity: frozenset[str]  # capacity models Compute Engine offers this machine type under
    source: str


# [AIH-GPU] "a3-highgpu-1g, -2g, -4g: you must create instances by using Spot VMs or Flex-start VMs".
_SPOT_OR_FLEX = frozenset({SPOT, FLEX_START})
# [AIH-GPU] A3 Ultra and A4: "you must reserve capacity ..., use Spot VMs, use Flex-start VMs".
_RESERVED_SPOT_OR_FLEX = frozenset({RESERVATION, SPOT, FLEX_START})

GPU_MACHINE_TYPES: tuple[GpuMachineType, ...] = (
    # [CE-GPU] G2: 4, 8, 12, 16, 32 vCPUs carry 1 L4; 24 carries 2; 48 carries 4; 96 carries 8.
    *(
        GpuMachineType(
            name=f"g2-standard-{v}", accelerator="nvidia-l4", gpus=1, capacity=ANY_CAPACITY, source="[CE-GPU] G2"
        )
        for v in (4, 8, 12, 16, 32)
    ),
    GpuMachineType(name="g2-standard-24", accelerator="nvidia-l4", gpus=2, capacity=ANY_CAPACITY, source="[CE-GPU] G2"),
    GpuMachineType(name="g2-standard-48", accelerator="nvidia-l4", gpus=4, capacity=ANY_CAPACITY, source="[CE-GPU] G2"),
    GpuMachineType(name="g2-standard-96", accelerator="nvidia-l4", gpus=8, capacity=ANY_CAPACITY, source="[CE-GPU] G2"),
    # [CE-GPU] A2 Standard: a2-highgpu-{1,2,4,8}g and a2-megagpu-16g carry that many A100 40GB.
    *(
        GpuMachineType(
            name=f"a2-highgpu-{n}g",
            accelerator="nvidia-tesla-a100",
            gpus=n,
            capacity=ANY_CAPACITY,
            source="[CE-GPU] A2 Standard",
        )
        for n in (1, 2, 4, 8)
    ),
    GpuMachineType(
        name="a2-megagpu-16g",
        accelerator="nvidia-tesla-a100",
        gpus=16,
        capacity=ANY_CAPACITY,
        source="[CE-GPU] A2 Standard",
    ),
    # [CE-GPU] A2 Ultra: a2-ultragpu-{1,2,4,8}g carry that many A100 80GB.
    *(
        GpuMachineType(
            name=f"a2-ultragpu-{n}g",
            accelerator="nvidia-a100-80gb",
            gpus=n,
            capacity=ANY_CAPACITY,
            source="[CE-GPU] A2 Ultra",
        )
        for n in (1, 2, 4, 8)
    ),
    # [AIH-GPU] A3 High: a3-highgpu-{1,2,4,8}g carry that many H100 80GB.
    *(
        GpuMachineType(
            name=f"a3-highgpu-{n}g",
            accelerator="nvidia-h100-80gb",
            gpus=n,
            capacity=_SPOT_OR_FLEX,
            source="[AIH-GPU] A3 High",
        )
        for n in (1, 2, 4)
    ),
    GpuMachineType(
        name="a3-highgpu-8g", accelerator="nvidia-h100-80gb", gpus=8, capacity=ANY_CAPACITY, source="[AIH-GPU] A3 High"
    ),
    GpuMachineType(
        name="a3-megagpu-8g",
        accelerator="nvidia-h100-mega-80gb",
        gpus=8,
        capacity=ANY_CAPACITY,
        source="[AIH-GPU] A3 Mega",
    ),
    GpuMachineType(
        name="a3-ultragpu-8g",
        accelerator="nvidia-h200-141gb",
        gpus=8,
        capacity=_RESERVED_SPOT_OR_FLEX,
        source="[AIH-GPU] A3 Ultra",
    ),
    GpuMachineType(
        name="a4-highgpu-8g", accelerator="nvidia-b200", gpus=8, capacity=_RESERVED_SPOT_OR_FLEX, source="[AIH-GPU] A4"
    ),
)


def machine_type(name: str) -> GpuMachineType | None:
    return next((m for m in GPU_MACHINE_TYPES if m.name == name), None)


def machine_types_for(accelerator_type: str) -> tuple[GpuMachineType, ...]:
    return tuple(m for m in GPU_MACHINE_TYPES if m.accelerator == accelerator_type)


def gpus_per_node(accelerator_type: str, machine: str, count: int) -> int:
    """The physical GPUs one node of this shape has (for bundled types the machine decides)."""
    bundled = machine_type(machine)
    return bundled.gpus if bundled is not None and bundled.accelerator == accelerator_type else count
