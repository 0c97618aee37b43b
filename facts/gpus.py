"""What GKE and Compute Engine allow for NVIDIA GPUs: pure facts and checks, no Pulumi.

Two tables of rows: one per accelerator type (what it runs on, what it can be split into), one per
machine type that comes with its GPUs built in (g2, a2, a3, a4). Each row says where its facts come
from. A fact we could not verify is left out and rejected by the checks, with a fix that says so:
a wrong "allowed" costs a failed `pulumi up` halfway through; a missing one costs one edited row.

The checks against these tables are facts/gpu_rules.py.

Sources (GKE / Compute Engine documentation, read 2025-2026):
  [CE-GPU]   https://cloud.google.com/compute/docs/gpus            (GPU machine types, N1 attach tables)
  [AIH-GPU]  https://cloud.google.com/ai-hypercomputer/docs/gpu    (A3 High/Mega/Ultra, A4 capacity notes)
  [GKE-MIG]  https://cloud.google.com/kubernetes-engine/docs/how-to/gpus-multi
  [GKE-TS]   https://cloud.google.com/kubernetes-engine/docs/how-to/timesharing-gpus
  [GKE-MPS]  https://cloud.google.com/kubernetes-engine/docs/how-to/nvidia-mps-gpus
  [GKE-DWS]  https://cloud.google.com/kubernetes-engine/docs/how-to/provisioningrequest
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Capacity models a node pool can get its VMs from.
ON_DEMAND = "on-demand"
SPOT = "spot"
FLEX_START = "flex-start"  # queued provisioning (Dynamic Workload Scheduler)
RESERVATION = "reservation"
ANY_CAPACITY = frozenset({ON_DEMAND, SPOT, FLEX_START, RESERVATION})

# [GKE-TS], [GKE-MPS]: at most 48 containers share one physical GPU; sharing with 1 client is no sharing.
MIN_SHARED_CLIENTS_PER_GPU = 2
MAX_SHARED_CLIENTS_PER_GPU = 48


@dataclass(frozen=True)
class N1Attachment:
    """How many of a GPU model an N1 VM may carry, and the most vCPUs N1 allows with that many."""

    gpus: int
    max_vcpus: int


@dataclass(frozen=True)
class AcceleratorFacts:
    type: str  # the GKE/Compute Engine accelerator type, also the node label value
    model: str  # human name, for messages
    machine_family: str  # the only machine family this GPU runs on
    n1_attachments: tuple[N1Attachment, ...]  # N1 only: allowed GPU counts; empty for bundled families
    mig_partitions: tuple[str, ...]  # GKE-supported MIG partition sizes; empty = no MIG
    time_sharing: bool
    mps: bool
    queued_provisioning: bool
    source: str


@dataclass(frozen=True)
class GpuMachineType:
    """A machine type whose GPUs come with it: the type fixes both the model and the count."""

    name: str
    accelerator: str
    gpus: int
    capacity: frozenset[str]  # capacity models Compute Engine offers this machine type under
    source: str


# All GPU types support time-sharing and MPS on GKE Standard: [GKE-TS] "Requirements: ... all NVIDIA
# GPU types"; [GKE-MPS] "GPU types: You can enable NVIDIA MPS for all NVIDIA GPU types".
ACCELERATORS: tuple[AcceleratorFacts, ...] = (
    # [CE-GPU] N1 + T4: 1 GPU up to 48 vCPUs, 2 GPUs up to 48, 4 GPUs up to 96.
    AcceleratorFacts(
        "nvidia-tesla-t4",
        "NVIDIA T4",
        "n1",
        (N1Attachment(1, 48), N1Attachment(2, 48), N1Attachment(4, 96)),
        (),
        True,
        True,
        True,
        "[CE-GPU] N1 T4 table; [GKE-DWS] examples use T4",
    ),
    # [CE-GPU] N1 + V100: 1/2/4/8 GPUs, up to 12/24/48/96 vCPUs.
    AcceleratorFacts(
        "nvidia-tesla-v100",
        "NVIDIA V100",
        "n1",
        (N1Attachment(1, 12), N1Attachment(2, 24), N1Attachment(4, 48), N1Attachment(8, 96)),
        (),
        True,
        True,
        False,
        "[CE-GPU] N1 V100 table; queued provisioning not verified",
    ),
    # [CE-GPU] N1 + P4: 1/2/4 GPUs, up to 24/48/96 vCPUs.
    AcceleratorFacts(
        "nvidia-tesla-p4",
        "NVIDIA P4",
        "n1",
        (N1Attachment(1, 24), N1Attachment(2, 48), N1Attachment(4, 96)),
        (),
        True,
        True,
        False,
        "[CE-GPU] N1 P4 table; queued provisioning not verified",
    ),
    # [CE-GPU] N1 + P100: 1/2/4 GPUs, up to 16/32/96 vCPUs (4 GPUs: 64 in some zones, 96 in all others).
    AcceleratorFacts(
        "nvidia-tesla-p100",
        "NVIDIA P100",
        "n1",
        (N1Attachment(1, 16), N1Attachment(2, 32), N1Attachment(4, 96)),
        (),
        True,
        True,
        False,
        "[CE-GPU] N1 P100 table; queued provisioning not verified",
    ),
    AcceleratorFacts(
        "nvidia-l4",
        "NVIDIA L4",
        "g2",
        (),
        (),
        True,
        True,
        True,
        "[CE-GPU] 'To run NVIDIA L4 GPUs, you must use a G2 machine type'",
    ),
    # [GKE-MIG] A100 40GB partitions.
    AcceleratorFacts(
        "nvidia-tesla-a100",
        "NVIDIA A100 40GB",
        "a2",
        (),
        ("1g.5gb", "2g.10gb", "3g.20gb", "7g.40gb"),
        True,
        True,
        True,
        "[CE-GPU] A2 Standard; [GKE-MIG] A100 (40GB)",
    ),
    # [GKE-MIG] A100 80GB partitions.
    AcceleratorFacts(
        "nvidia-a100-80gb",
        "NVIDIA A100 80GB",
        "a2",
        (),
        ("1g.10gb", "2g.20gb", "3g.40gb", "7g.80gb"),
        True,
        True,
        True,
        "[CE-GPU] A2 Ultra; [GKE-MIG] A100 (80GB)",
    ),
    # [GKE-MIG] H100 80GB partitions.
    AcceleratorFacts(
        "nvidia-h100-80gb",
        "NVIDIA H100 80GB",
        "a3",
        (),
        ("1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "7g.80gb"),
        True,
        True,
        True,
        "[AIH-GPU] A3 High; [GKE-MIG] H100 (80GB)",
    ),
    # MIG on the Mega variant, H200 and B200: GKE lists support, but we could not verify the exact
    # partition sizes GKE accepts for them, so MIG stays off until a row is checked and filled in.
    AcceleratorFacts(
        "nvidia-h100-mega-80gb",
        "NVIDIA H100 80GB Mega",
        "a3",
        (),
        (),
        True,
        True,
        True,
        "[AIH-GPU] A3 Mega",
    ),
    AcceleratorFacts(
        "nvidia-h200-141gb",
        "NVIDIA H200 141GB",
        "a3",
        (),
        (),
        True,
        True,
        True,
        "[AIH-GPU] A3 Ultra; [AIH-GPU] flex-start node pool example",
    ),
    AcceleratorFacts(
        "nvidia-b200",
        "NVIDIA B200",
        "a4",
        (),
        (),
        True,
        True,
        True,
        "[AIH-GPU] A4; [AIH-GPU] flex-start node pool example",
    ),
)

# [AIH-GPU] "a3-highgpu-1g, -2g, -4g: you must create instances by using Spot VMs or Flex-start VMs".
_SPOT_OR_FLEX = frozenset({SPOT, FLEX_START})
# [AIH-GPU] A3 Ultra and A4: "you must reserve capacity ..., use Spot VMs, use Flex-start VMs".
_RESERVED_SPOT_OR_FLEX = frozenset({RESERVATION, SPOT, FLEX_START})

GPU_MACHINE_TYPES: tuple[GpuMachineType, ...] = (
    # [CE-GPU] G2: 4, 8, 12, 16, 32 vCPUs carry 1 L4; 24 carries 2; 48 carries 4; 96 carries 8.
    *(GpuMachineType(f"g2-standard-{v}", "nvidia-l4", 1, ANY_CAPACITY, "[CE-GPU] G2") for v in (4, 8, 12, 16, 32)),
    GpuMachineType("g2-standard-24", "nvidia-l4", 2, ANY_CAPACITY, "[CE-GPU] G2"),
    GpuMachineType("g2-standard-48", "nvidia-l4", 4, ANY_CAPACITY, "[CE-GPU] G2"),
    GpuMachineType("g2-standard-96", "nvidia-l4", 8, ANY_CAPACITY, "[CE-GPU] G2"),
    # [CE-GPU] A2 Standard: a2-highgpu-{1,2,4,8}g and a2-megagpu-16g carry that many A100 40GB.
    *(
        GpuMachineType(f"a2-highgpu-{n}g", "nvidia-tesla-a100", n, ANY_CAPACITY, "[CE-GPU] A2 Standard")
        for n in (1, 2, 4, 8)
    ),
    GpuMachineType("a2-megagpu-16g", "nvidia-tesla-a100", 16, ANY_CAPACITY, "[CE-GPU] A2 Standard"),
    # [CE-GPU] A2 Ultra: a2-ultragpu-{1,2,4,8}g carry that many A100 80GB.
    *(
        GpuMachineType(f"a2-ultragpu-{n}g", "nvidia-a100-80gb", n, ANY_CAPACITY, "[CE-GPU] A2 Ultra")
        for n in (1, 2, 4, 8)
    ),
    # [AIH-GPU] A3 High: a3-highgpu-{1,2,4,8}g carry that many H100 80GB.
    *(GpuMachineType(f"a3-highgpu-{n}g", "nvidia-h100-80gb", n, _SPOT_OR_FLEX, "[AIH-GPU] A3 High") for n in (1, 2, 4)),
    GpuMachineType("a3-highgpu-8g", "nvidia-h100-80gb", 8, ANY_CAPACITY, "[AIH-GPU] A3 High"),
    GpuMachineType("a3-megagpu-8g", "nvidia-h100-mega-80gb", 8, ANY_CAPACITY, "[AIH-GPU] A3 Mega"),
    GpuMachineType("a3-ultragpu-8g", "nvidia-h200-141gb", 8, _RESERVED_SPOT_OR_FLEX, "[AIH-GPU] A3 Ultra"),
    GpuMachineType("a4-highgpu-8g", "nvidia-b200", 8, _RESERVED_SPOT_OR_FLEX, "[AIH-GPU] A4"),
)

_N1_SHAPE = re.compile(r"^n1-(?:(?:standard|highmem|highcpu)-(?P<vcpus>\d+)|custom-(?P<custom>\d+)-\d+(?:-ext)?)$")


def accelerator(accelerator_type: str) -> AcceleratorFacts | None:
    return next((a for a in ACCELERATORS if a.type == accelerator_type), None)


def machine_type(name: str) -> GpuMachineType | None:
    return next((m for m in GPU_MACHINE_TYPES if m.name == name), None)


def machine_types_for(accelerator_type: str) -> tuple[GpuMachineType, ...]:
    return tuple(m for m in GPU_MACHINE_TYPES if m.accelerator == accelerator_type)


def n1_vcpus(name: str) -> int | None:
    """vCPUs of an N1 predefined or custom machine type, None if the name is not an N1 shape."""
    match = _N1_SHAPE.match(name)
    if not match:
        return None
    return int(match.group("vcpus") or match.group("custom"))


def gpus_per_node(accelerator_type: str, machine: str, count: int) -> int:
    """The physical GPUs one node of this shape has (for bundled types the machine decides)."""
    bundled = machine_type(machine)
    return bundled.gpus if bundled is not None and bundled.accelerator == accelerator_type else count
