"""The GPU catalogue: facts as tables, checks that return every problem with its fix."""

from __future__ import annotations

import pytest

from facts import gpu_machine_types, gpu_rules, gpus


class _Rendered:
    """facts.gpus and facts.gpu_machine_types, with every check of facts.gpu_rules rendered as the user reads them ("what (fix: how)")."""

    def __getattr__(self, name):
        if not name.endswith("_problems"):
            return getattr(gpus, name) if hasattr(gpus, name) else getattr(gpu_machine_types, name)
        value = getattr(gpu_rules, name)

        def rendered(*args):
            findings = value(*args)
            assert all(finding.fix for finding in findings)  # every finding says what to do
            return [str(finding) for finding in findings]

        return rendered


catalog = _Rendered()


def test_every_accelerator_and_machine_type_row_is_unique_and_cites_a_source():
    types = [a.type for a in catalog.ACCELERATORS]
    machines = [m.name for m in catalog.GPU_MACHINE_TYPES]
    assert len(types) == len(set(types))
    assert len(machines) == len(set(machines))
    assert all(a.source for a in catalog.ACCELERATORS) and all(m.source for m in catalog.GPU_MACHINE_TYPES)
    # every bundled machine type names a catalogued accelerator of its own family
    for m in catalog.GPU_MACHINE_TYPES:
        facts = catalog.accelerator(m.accelerator)
        assert facts is not None and m.name.startswith(facts.machine_family + "-")


@pytest.mark.parametrize(
    "machine, accelerator, gpus",
    [
        ("g2-standard-4", "nvidia-l4", 1),
        ("g2-standard-32", "nvidia-l4", 1),
        ("g2-standard-24", "nvidia-l4", 2),
        ("g2-standard-48", "nvidia-l4", 4),
        ("g2-standard-96", "nvidia-l4", 8),
        ("a2-highgpu-1g", "nvidia-tesla-a100", 1),
        ("a2-megagpu-16g", "nvidia-tesla-a100", 16),
        ("a2-ultragpu-4g", "nvidia-a100-80gb", 4),
        ("a3-highgpu-8g", "nvidia-h100-80gb", 8),
        ("a3-megagpu-8g", "nvidia-h100-mega-80gb", 8),
        ("a3-ultragpu-8g", "nvidia-h200-141gb", 8),
        ("a4-highgpu-8g", "nvidia-b200", 8),
    ],
)
def test_bundled_machine_types_carry_their_documented_gpus(machine, accelerator, gpus):
    row = catalog.machine_type(machine)
    assert (row.accelerator, row.gpus) == (accelerator, gpus)
    assert catalog.machine_problems(accelerator, machine, gpus) == []


def test_unknown_accelerator_lists_the_known_ones():
    [problem] = catalog.accelerator_problems("nvidia-l5")
    assert problem.startswith("'nvidia-l5' is not a GPU type in the catalogue (fix: use one of nvidia-tesla-t4,")
    assert catalog.accelerator_problems("nvidia-l4") == []
    assert catalog.machine_problems("nvidia-l5", "g2-standard-4", 1) == []  # reported once, by accelerator_problems


def test_gpu_on_the_wrong_machine_family_names_the_right_machine_types():
    assert catalog.machine_problems("nvidia-l4", "n1-standard-8", 1) == [
        "nvidia-l4 runs only on g2 machine types with it built in, not on 'n1-standard-8' "
        "(fix: use one of g2-standard-4, g2-standard-8, g2-standard-12, g2-standard-16, g2-standard-32, "
        "g2-standard-24, g2-standard-48, g2-standard-96)"
    ]
    # an A100 40GB machine does not carry the 80GB model
    [problem] = catalog.machine_problems("nvidia-a100-80gb", "a2-highgpu-1g", 1)
    assert "fix: use one of a2-ultragpu-1g, a2-ultragpu-2g, a2-ultragpu-4g, a2-ultragpu-8g" in problem


def test_bundled_count_must_match_the_machine_type():
    assert catalog.machine_problems("nvidia-l4", "g2-standard-24", 1) == [
        "g2-standard-24 comes with exactly 2 x nvidia-l4, not 1 (fix: set accelerator.count to 2, or a machine "
        "type with 1: g2-standard-4, g2-standard-8, g2-standard-12, g2-standard-16, g2-standard-32)"
    ]
    assert catalog.machine_problems("nvidia-h100-80gb", "a3-highgpu-8g", 3) == [
        "a3-highgpu-8g comes with exactly 8 x nvidia-h100-80gb, not 3 (fix: set accelerator.count to 8)"
    ]


def test_n1_gpus_attach_in_documented_counts_within_the_vcpu_limit():
    for count in (1, 2, 4):
        assert catalog.machine_problems("nvidia-tesla-t4", "n1-standard-8", count) == []
    assert catalog.machine_problems("nvidia-tesla-t4", "n1-standard-8", 3) == [
        "nvidia-tesla-t4 attaches to N1 in counts of 1, 2, 4, not 3 (fix: set accelerator.count to one of 1, 2, 4)"
    ]
    assert catalog.machine_problems("nvidia-tesla-v100", "n1-highmem-16", 1) == [
        "n1-highmem-16 has 16 vCPUs; with 1 x nvidia-tesla-v100 N1 allows at most 12 "
        "(fix: use an N1 machine type with at most 12 vCPUs, or attach more GPUs)"
    ]
    assert catalog.machine_problems("nvidia-tesla-v100", "n1-custom-12-79872", 1) == []
    assert catalog.machine_problems("nvidia-tesla-t4", "e2-standard-4", 1) == [
        "nvidia-tesla-t4 attaches only to N1 machine types, not to 'e2-standard-4' "
        "(fix: use an n1-standard-*, n1-highmem-*, n1-highcpu-* or n1-custom-* machine type)"
    ]


def test_gpus_per_node_comes_from_the_machine_for_bundled_types():
    assert catalog.gpus_per_node("nvidia-l4", "g2-standard-48", 4) == 4
    assert catalog.gpus_per_node("nvidia-tesla-t4", "n1-standard-16", 2) == 2


def test_mig_partitions_are_the_documented_ones():
    by_type = {a.type: a.mig_partitions for a in catalog.ACCELERATORS}
    assert by_type["nvidia-tesla-a100"] == ("1g.5gb", "2g.10gb", "3g.20gb", "7g.40gb")
    assert by_type["nvidia-a100-80gb"] == ("1g.10gb", "2g.20gb", "3g.40gb", "7g.80gb")
    assert by_type["nvidia-h100-80gb"] == ("1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "7g.80gb")
    assert {t for t, sizes in by_type.items() if sizes} == {"nvidia-tesla-a100", "nvidia-a100-80gb", "nvidia-h100-80gb"}


def test_partition_problems():
    assert catalog.partition_problems("nvidia-tesla-a100", "3g.20gb") == []
    assert catalog.partition_problems("nvidia-tesla-a100", None) == []
    assert catalog.partition_problems("nvidia-tesla-a100", "1g.10gb") == [
        "'1g.10gb' is not a partition size GKE offers for nvidia-tesla-a100 (fix: use one of 1g.5gb, 2g.10gb, 3g.20gb, 7g.40gb)"
    ]
    assert catalog.partition_problems("nvidia-l4", "1g.5gb") == [
        "nvidia-l4 has no multi-instance GPU partitions in the catalogue "
        "(fix: remove migPartitionSize, or use one of nvidia-tesla-a100, nvidia-a100-80gb, nvidia-h100-80gb)"
    ]


def test_sharing_strategies_and_client_limits():
    assert all(a.time_sharing and a.mps for a in catalog.ACCELERATORS)
    assert catalog.sharing_problems("nvidia-l4", "TIME_SHARING", 2) == []
    assert catalog.sharing_problems("nvidia-l4", "MPS", 48) == []
    for clients in (1, 49):
        assert catalog.sharing_problems("nvidia-l4", "MPS", clients) == [
            f"{clients} clients per GPU is outside what GKE allows (fix: set maxSharedClientsPerGpu between 2 and 48)"
        ]


def test_sharing_on_a_type_without_support_is_reported(monkeypatch):
    row = catalog.accelerator("nvidia-l4")
    no_mps = catalog.AcceleratorFacts(**{**row.__dict__, "mps": False})
    monkeypatch.setattr(gpus, "ACCELERATORS", (no_mps,))
    assert catalog.sharing_problems("nvidia-l4", "MPS", 4) == [
        "nvidia-l4 does not support MPS GPU sharing (fix: remove accelerator.sharing)"
    ]


def test_queued_provisioning_support():
    assert {a.type for a in catalog.ACCELERATORS if not a.queued_provisioning} == {
        "nvidia-tesla-v100",
        "nvidia-tesla-p4",
        "nvidia-tesla-p100",
    }
    assert catalog.queued_provisioning_problems("nvidia-l4") == []
    [problem] = catalog.queued_provisioning_problems("nvidia-tesla-p4")
    assert problem.startswith(
        "queued provisioning is not verified for nvidia-tesla-p4 (fix: set queuedProvisioning: false, or use one of nvidia-tesla-t4, nvidia-l4,"
    )


def test_capacity_restricted_machine_types():
    for capacity in (catalog.SPOT, catalog.FLEX_START):
        assert catalog.capacity_problems("a3-highgpu-1g", capacity) == []
    assert catalog.capacity_problems("a3-highgpu-1g", catalog.ON_DEMAND) == [
        "a3-highgpu-1g is not available as on-demand capacity; only as flex-start, spot "
        "(fix: set spot: true or queuedProvisioning: true, or pick another machine type)"
    ]
    assert catalog.capacity_problems("a3-ultragpu-8g", catalog.RESERVATION) == []
    assert catalog.capacity_problems("a4-highgpu-8g", catalog.ON_DEMAND) == [
        "a4-highgpu-8g is not available as on-demand capacity; only as flex-start, reservation, spot "
        "(fix: set spot: true or queuedProvisioning: true or reservationAffinity with SPECIFIC_RESERVATION, "
        "or pick another machine type)"
    ]
    assert catalog.capacity_problems("a3-highgpu-8g", catalog.ON_DEMAND) == []
    assert catalog.capacity_problems("n1-standard-4", catalog.ON_DEMAND) == []
