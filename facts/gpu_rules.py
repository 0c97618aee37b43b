"""Checks of a GPU request or pool against the GKE and Compute Engine facts in facts/gpus.py.

Every check returns a list of findings, each (what is wrong, what to do), never raising, so a settings
file with several mistakes is reported in one pass. The tables are read through the `gpus` module, so
a test can swap a row.
"""

from __future__ import annotations

from core.problems import Finding
from facts import gpu_machine_types, gpus


def _problem(message: str, fix: str) -> Finding:
    return Finding(message, fix)


def _names(values) -> str:
    return ", ".join(str(v) for v in values)


def accelerator_problems(accelerator_type: str) -> list[Finding]:
    if gpus.accelerator(accelerator_type) is not None:
        return []
    return [
        _problem(
            f"'{accelerator_type}' is not a GPU type in the catalogue",
            f"use one of {_names(a.type for a in gpus.ACCELERATORS)}",
        )
    ]


def machine_problems(accelerator_type: str, machine: str, count: int) -> list[Finding]:
    """Does `machine` carry `count` GPUs of `accelerator_type`? Empty when the type is unknown
    (accelerator_problems reports that)."""
    facts = gpus.accelerator(accelerator_type)
    if facts is None:
        return []
    if facts.machine_family == "n1":
        return _n1_problems(facts, machine, count)
    bundled = gpu_machine_types.machine_type(machine)
    choices = gpu_machine_types.machine_types_for(facts.type)
    if bundled is None or bundled.accelerator != facts.type:
        return [
            _problem(
                f"{facts.type} runs only on {facts.machine_family} machine types with it built in, not on '{machine}'",
                f"use one of {_names(m.name for m in choices)}",
            )
        ]
    if count != bundled.gpus:
        fitting = [m.name for m in choices if m.gpus == count]
        other = f", or a machine type with {count}: {_names(fitting)}" if fitting else ""
        return [
            _problem(
                f"{bundled.name} comes with exactly {bundled.gpus} x {facts.type}, not {count}",
                f"set accelerator.count to {bundled.gpus}{other}",
            )
        ]
    return []


def _n1_problems(facts: gpus.AcceleratorFacts, machine: str, count: int) -> list[Finding]:
    vcpus = gpus.n1_vcpus(machine)
    if vcpus is None:
        return [
            _problem(
                f"{facts.type} attaches only to N1 machine types, not to '{machine}'",
                "use an n1-standard-*, n1-highmem-*, n1-highcpu-* or n1-custom-* machine type",
            )
        ]
    attachment = next((a for a in facts.n1_attachments if a.gpus == count), None)
    if attachment is None:
        return [
            _problem(
                f"{facts.type} attaches to N1 in counts of {_names(a.gpus for a in facts.n1_attachments)}, not {count}",
                f"set accelerator.count to one of {_names(a.gpus for a in facts.n1_attachments)}",
            )
        ]
    if vcpus > attachment.max_vcpus:
        return [
            _problem(
                f"{machine} has {vcpus} vCPUs; with {count} x {facts.type} N1 allows at most {attachment.max_vcpus}",
                f"use an N1 machine type with at most {attachment.max_vcpus} vCPUs, or attach more GPUs",
            )
        ]
    return []


def partition_problems(accelerator_type: str, partition_size: str | None) -> list[Finding]:
    facts = gpus.accelerator(accelerator_type)
    if facts is None or partition_size is None:
        return []
    if not facts.mig_partitions:
        with_mig = [a.type for a in gpus.ACCELERATORS if a.mig_partitions]
        return [
            _problem(
                f"{facts.type} has no multi-instance GPU partitions in the catalogue",
                f"remove migPartitionSize, or use one of {_names(with_mig)}",
            )
        ]
    if partition_size not in facts.mig_partitions:
        return [
            _problem(
                f"'{partition_size}' is not a partition size GKE offers for {facts.type}",
                f"use one of {_names(facts.mig_partitions)}",
            )
        ]
    return []


def sharing_problems(accelerator_type: str, strategy: str, max_clients: int) -> list[Finding]:
    """strategy is the GKE API value: TIME_SHARING or MPS."""
    facts = gpus.accelerator(accelerator_type)
    problems = []
    if facts is not None:
        supported = facts.time_sharing if strategy == "TIME_SHARING" else facts.mps
        if not supported:
            problems.append(
                _problem(f"{facts.type} does not support {strategy} GPU sharing", "remove accelerator.sharing")
            )
    if not gpus.MIN_SHARED_CLIENTS_PER_GPU <= max_clients <= gpus.MAX_SHARED_CLIENTS_PER_GPU:
        problems.append(
            _problem(
                f"{max_clients} clients per GPU is outside what GKE allows",
                f"set maxSharedClientsPerGpu between {gpus.MIN_SHARED_CLIENTS_PER_GPU} and {gpus.MAX_SHARED_CLIENTS_PER_GPU}",
            )
        )
    return problems


def queued_provisioning_problems(accelerator_type: str) -> list[Finding]:
    facts = gpus.accelerator(accelerator_type)
    if facts is None or facts.queued_provisioning:
        return []
    return [
        _problem(
            f"queued provisioning is not verified for {facts.type}",
            f"set queuedProvisioning: false, or use one of "
            f"{_names(a.type for a in gpus.ACCELERATORS if a.queued_provisioning)}",
        )
    ]


def capacity_problems(machine: str, capacity: str) -> list[Finding]:
    """Some machine types are only sold as spot, flex-start or reserved capacity."""
    bundled = gpu_machine_types.machine_type(machine)
    if bundled is None or capacity in bundled.capacity:
        return []
    ways = {
        gpus.SPOT: "spot: true",
        gpus.FLEX_START: "queuedProvisioning: true",
        gpus.RESERVATION: "reservationAffinity with SPECIFIC_RESERVATION",
    }
    options = " or ".join(ways[c] for c in (gpus.SPOT, gpus.FLEX_START, gpus.RESERVATION) if c in bundled.capacity)
    return [
        _problem(
            f"{machine} is not available as {capacity} capacity; only as {_names(sorted(bundled.capacity))}",
            f"set {options}, or pick another machine type",
        )
    ]
