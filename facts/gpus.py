"""What GKE and Compute Engine allow for NVIDIA GPUs: pure facts and checks, no Pulumi.

One table of rows per accelerator type (what it runs on, what it can be split into); the machine
types that come with their GPUs built in (g2, a2, a3, a4) are facts/gpu_machine_types.py. Each row
says where its facts come from. A fact we could not verify is left out and rejected by the checks, with a fix that says so:
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


# All GPU types support time-sharing and MPS on GKE Standard: [GKE-TS] "Requirements: ... all NVIDIA
# GPU types"; [GKE-MPS] "GPU types: You can enable NVIDIA MPS for all NVIDIA GPU types".
ACCELERATORS: tuple[AcceleratorFacts, ...] = (
    # [CE-GPU] N1 + T4: 1 GPU up to 48 vCPUs, 2 GPUs up to 48, 4 GPUs up to 96.
    AcceleratorFacts(
        type="nvidia-tesla-t4",
        model="NVIDIA T4",
        machine_family="n1",
        n1_attachments=(
            N1Attachment(gpus=1, max_vcpus=48),
            N1Attachment(gpus=2, max_vcpus=48),
            N1Attachment(gpus=4, max_vcpus=96),
        ),
        mig_partitions=(),
        time_sharing=True,
        mps=True,
        queued_provisioning=True,
        source="[CE-GPU] N1 T4 table; [GKE-DWS] examples use T4",
    ),
    # [CE-GPU] N1 + V100: 1/2/4/8 GPUs, up to 12/24/48/96 vCPUs.
    AcceleratorFacts(
        type="nvidia-tesla-v100",
        model="NVIDIA V100",
        machine_family="n1",
        n1_attachments=(
            N1Attachment(gpus=1, max_vcpus=12),
            N1Attachment(gpus=2, max_vcpus=24),
            N1Attachment(gpus=4, max_vcpus=48),
            N1Attachment(gpus=8, max_vcpus=96),
        ),
        mig_partitions=(),
        time_sharing=True,
        mps=True,
        queued_provisioning=False,
        source="[CE-GPU] N1 V100 table; queued provisioning not verified",
    ),
    # [CE-GPU] N1 + P4: 1/2/4 GPUs, up to 24/48/96 vCPUs.
    AcceleratorFacts(
        type="nvidia-tesla-p4",
        model="NVIDIA P4",
        machine_family="n1",
        n1_attachments=(
            N1Attachment(gpus=1, max_vcpus=24),
            N1Attachment(gpus=2, max_vcpus=48),
            N1Attachment(gpus=4, max_vcpus=96),
        ),
        mig_partitions=(),
        time_sharing=True,
        mps=True,
        queued_provisioning=False,
        source="[CE-GPU] N1 P4 table; queued provisioning not verified",
    ),
    # [CE-GPU] N1 + P100: 1/2/4 GPUs, up to 16/32/96 vCPUs (4 GPUs: 64 in some zones, 96 in all others).
    AcceleratorFacts(
        type="nvidia-tesla-p100",
        model="NVIDIA P100",
        machine_family="n1",
        n1_attachments=(
            N1Attachment(gpus=1, max_vcpus=16),
            N1Attachment(gpus=2, max_vcpus=32),
            N1Attachment(gpus=4, max_vcpus=96),
        ),
        mig_partitions=(),
        time_sharing=True,
        mps=True,
        queued_provisioning=False,
        source="[CE-GPU] N1 P100 table; queued provisioning not verified",
    ),
    AcceleratorFacts(
        type="nvidia-l4",
        model="NVIDIA L4",
        machine_family="g2",
        n1_attachments=(),
        mig_partitions=(),
        time_sharing=True,
        mps=True,
        queued_provisioning=True,
        source="[CE-GPU] 'To run NVIDIA L4 GPUs, you must use a G2 machine type'",
    ),
    # [GKE-MIG] A100 40GB partitions.
    AcceleratorFacts(
        type="nvidia-tesla-a100",
        model="NVIDIA A100 40GB",
        machine_family="a2",
        n1_attachments=(),
        mig_partitions=("1g.5gb", "2g.10gb", "3g.20gb", "7g.40gb"),
        time_sharing=True,
        mps=True,
        queued_provisioning=True,
        source="[CE-GPU] A2 Standard; [GKE-MIG] A100 (40GB)",
    ),
    # [GKE-MIG] A100 80GB partitions.
    AcceleratorFacts(
        type="nvidia-a100-80gb",
        model="NVIDIA A100 80GB",
        machine_family="a2",
        n1_attachments=(),
        mig_partitions=("1g.10gb", "2g.20gb", "3g.40gb", "7g.80gb"),
        time_sharing=True,
        mps=True,
        queued_provisioning=True,
        source="[CE-GPU] A2 Ultra; [GKE-MIG] A100 (80GB)",
    ),
    # [GKE-MIG] H100 80GB partitions.
    AcceleratorFacts(
        type="nvidia-h100-80gb",
        model="NVIDIA H100 80GB",
        machine_family="a3",
        n1_attachments=(),
        mig_partitions=("1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "7g.80gb"),
        time_sharing=True,
        mps=True,
        queued_provisioning=True,
        source="[AIH-GPU] A3 High; [GKE-MIG] H100 (80GB)",
    ),
    # MIG on the Mega variant, H200 and B200: GKE lists support, but we could not verify the exact
    # partition sizes GKE accepts for them, so MIG stays off until a row is checked and filled in.
    AcceleratorFacts(
        type="nvidia-h100-mega-80gb",
        model="NVIDIA H100 80GB Mega",
        machine_family="a3",
        n1_attachments=(),
        mig_partitions=(),
        time_sharing=True,
        mps=True,
        queued_provisioning=True,
        source="[AIH-GPU] A3 Mega",
    ),
    AcceleratorFacts(
        type="nvidia-h200-141gb",
        model="NVIDIA H200 141GB",
        machine_family="a3",
        n1_attachments=(),
        mig_partitions=(),
        time_sharing=True,
        mps=True,
        queued_provisioning=True,
        source="[AIH-GPU] A3 Ultra; [AIH-GPU] flex-start node pool example",
    ),
    AcceleratorFacts(
        type="nvidia-b200",
        model="NVIDIA B200",
        machine_family="a4",
        n1_attachments=(),
        mig_partitions=(),
        time_sharing=True,
        mps=True,
        queued_provisioning=True,
        source="[AIH-GPU] A4; [AIH-GPU] flex-start node pool example",
    ),
)

_N1_SHAPE = re.compile(r"^n1-(?:(?:standard|highmem|highcpu)-(?P<vcpus>\d+)|custom-(?P<custom>\d+)-\d+(?:-ext)?)$")


def accelerator(accelerator_type: str) -> AcceleratorFacts | None:
    return next((a for a in ACCELERATORS if a.type == accelerator_type), None)


def n1_vcpus(name: str) -> int | None:
    """vCPUs of an N1 predefined or custom machine type, None if the name is not an N1 shape."""
    match = _N1_SHAPE.match(name)
    if not match:
        return None
    return int(match.group("vcpus") or match.group("custom"))
