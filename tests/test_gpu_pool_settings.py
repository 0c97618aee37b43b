"""GPU node pool settings, alone and against the cluster and the environment: every GKE rule on
the key to change, with its fix."""

from __future__ import annotations

from settings.gpu_node_pools import GpuNodePoolSettings
from tests.test_cluster_settings import SOURCE, errors, l4_pool

# ---------------------------------------------------------------------------------------------
# GpuNodePoolSettings


def test_a_valid_pool_and_its_defaults():
    pool = GpuNodePoolSettings.model_validate(l4_pool())
    assert pool.accelerator.driver_version == "DEFAULT"  # never unspecified
    assert (pool.spot, pool.queued_provisioning, pool.auto_repair, pool.auto_upgrade) == (False, False, True, True)
    assert (pool.autoscaling.total_min_node_count, pool.autoscaling.location_policy) == (0, "ANY")
    assert (pool.upgrade_settings.strategy, pool.upgrade_settings.max_surge, pool.upgrade_settings.max_unavailable) == (
        "SURGE",
        1,
        0,
    )
    assert pool.capacity == "on-demand"


def test_driver_version_is_default_or_latest_only():
    assert errors(
        GpuNodePoolSettings,
        l4_pool(accelerator={"type": "nvidia-l4", "count": 1, "driverVersion": "GPU_DRIVER_VERSION_UNSPECIFIED"}),
    ) == [
        f"{SOURCE}: accelerator.driverVersion: 'GPU_DRIVER_VERSION_UNSPECIFIED' is not allowed (fix: use one of 'DEFAULT' or 'LATEST')"
    ]


def test_pool_name_and_autoscaling_bounds():
    assert errors(GpuNodePoolSettings, l4_pool(name="L4_pool"), "gpuNodePools[0]") == [
        f"{SOURCE}: gpuNodePools[0].name: 'L4_pool' is not a node pool name "
        "(fix: lowercase letters, digits and '-', starting with a letter, max 40)"
    ]
    assert errors(GpuNodePoolSettings, l4_pool(autoscaling={"totalMinNodeCount": 3, "totalMaxNodeCount": 1})) == [
        f"{SOURCE}: autoscaling: totalMaxNodeCount 1 is below totalMinNodeCount 3 (fix: raise totalMaxNodeCount)"
    ]


def test_accelerator_machine_and_count_come_from_the_catalogue():
    assert errors(GpuNodePoolSettings, l4_pool(machineType="n1-standard-8"), "gpuNodePools[0]") == [
        f"{SOURCE}: gpuNodePools[0].machineType: pool 'l4': nvidia-l4 runs only on g2 machine types with it built in, "
        "not on 'n1-standard-8' (fix: use one of g2-standard-4, g2-standard-8, g2-standard-12, g2-standard-16, "
        "g2-standard-32, g2-standard-24, g2-standard-48, g2-standard-96)"
    ]
    assert errors(GpuNodePoolSettings, l4_pool(machineType="g2-standard-48")) == [
        f"{SOURCE}: machineType: pool 'l4': g2-standard-48 comes with exactly 4 x nvidia-l4, not 1 (fix: set accelerator.count "
        "to 4, or a machine type with 1: g2-standard-4, g2-standard-8, g2-standard-12, g2-standard-16, g2-standard-32)"
    ]
    [unknown] = errors(GpuNodePoolSettings, l4_pool(accelerator={"type": "nvidia-k80", "count": 1}))
    assert unknown.startswith(
        f"{SOURCE}: accelerator.type: pool 'l4': 'nvidia-k80' is not a GPU type in the catalogue (fix: use one of"
    )


def test_mig_and_sharing():
    a100 = {"name": "a100", "machineType": "a2-highgpu-1g", "autoscaling": {"totalMaxNodeCount": 1}}
    mig = GpuNodePoolSettings.model_validate(
        {
            **a100,
            "accelerator": {
                "type": "nvidia-tesla-a100",
                "count": 1,
                "migPartitionSize": "1g.5gb",
                "sharing": {"strategy": "TIME_SHARING", "maxSharedClientsPerGpu": 2},
            },
        }
    )
    assert mig.accelerator.mig_partition_size == "1g.5gb"  # MIG and sharing compose (GKE recommends it)
    assert errors(
        GpuNodePoolSettings,
        {**a100, "accelerator": {"type": "nvidia-tesla-a100", "count": 1, "migPartitionSize": "1g.10gb"}},
    ) == [
        f"{SOURCE}: accelerator.migPartitionSize: pool 'a100': '1g.10gb' is not a partition size GKE offers for "
        "nvidia-tesla-a100 (fix: use one of 1g.5gb, 2g.10gb, 3g.20gb, 7g.40gb)"
    ]
    assert errors(
        GpuNodePoolSettings,
        l4_pool(
            accelerator={"type": "nvidia-l4", "count": 1, "sharing": {"strategy": "MPS", "maxSharedClientsPerGpu": 64}}
        ),
    ) == [
        f"{SOURCE}: accelerator.sharing: pool 'l4': 64 clients per GPU is outside what GKE allows (fix: set maxSharedClientsPerGpu between 2 and 48)"
    ]


def test_capacity_only_machine_types():
    h100 = {
        "name": "h100",
        "machineType": "a3-highgpu-1g",
        "accelerator": {"type": "nvidia-h100-80gb", "count": 1},
        "autoscaling": {"totalMaxNodeCount": 2},
    }
    assert errors(GpuNodePoolSettings, h100) == [
        f"{SOURCE}: machineType: pool 'h100': a3-highgpu-1g is not available as on-demand capacity; only as flex-start, "
        "spot (fix: set spot: true or queuedProvisioning: true, or pick another machine type)"
    ]
    assert GpuNodePoolSettings.model_validate({**h100, "spot": True}).capacity == "spot"


def test_reservation_affinity():
    specific = {
        "consumeReservationType": "SPECIFIC_RESERVATION",
        "key": "compute.googleapis.com/reservation-name",
        "values": ["l4-res"],
    }
    assert GpuNodePoolSettings.model_validate(l4_pool(reservationAffinity=specific)).capacity == "reservation"
    assert errors(
        GpuNodePoolSettings, l4_pool(reservationAffinity={"consumeReservationType": "SPECIFIC_RESERVATION"})
    ) == [
        f"{SOURCE}: reservationAffinity: SPECIFIC_RESERVATION names its reservations "
        "(fix: set key: compute.googleapis.com/reservation-name and values: [<reservation>])"
    ]
    assert errors(
        GpuNodePoolSettings, l4_pool(reservationAffinity={**specific, "consumeReservationType": "ANY_RESERVATION"})
    ) == [f"{SOURCE}: reservationAffinity: ANY_RESERVATION takes no key or values (fix: remove them)"]


def test_queued_provisioning_constraints_all_at_once():
    assert errors(
        GpuNodePoolSettings,
        l4_pool(
            queuedProvisioning=True,
            spot=True,
            autoscaling={"totalMinNodeCount": 1, "totalMaxNodeCount": 4, "locationPolicy": "BALANCED"},
        ),
    ) == [
        f"{SOURCE}: spot: pool 'l4': queued provisioning (flex-start) and spot are different capacity models (fix: set spot: false)",
        f"{SOURCE}: autoscaling.totalMinNodeCount: pool 'l4': queued provisioning pools start empty and grow only through ProvisioningRequests (fix: set totalMinNodeCount: 0)",
        f"{SOURCE}: autoscaling.locationPolicy: pool 'l4': queued provisioning needs location policy ANY (fix: set locationPolicy: ANY)",
        f"{SOURCE}: reservationAffinity: pool 'l4': queued provisioning cannot consume reservations (fix: set reservationAffinity: {{consumeReservationType: NO_RESERVATION}})",
        f"{SOURCE}: autoRepair: pool 'l4': queued provisioning needs node auto-repair off (fix: set autoRepair: false)",
    ]
    ok = GpuNodePoolSettings.model_validate(
        l4_pool(
            queuedProvisioning=True, autoRepair=False, reservationAffinity={"consumeReservationType": "NO_RESERVATION"}
        )
    )
    assert ok.capacity == "flex-start"
    p4 = {
        "name": "p4",
        "machineType": "n1-standard-8",
        "accelerator": {"type": "nvidia-tesla-p4", "count": 1},
        "autoscaling": {"totalMaxNodeCount": 1},
        "queuedProvisioning": True,
        "autoRepair": False,
        "reservationAffinity": {"consumeReservationType": "NO_RESERVATION"},
    }
    [problem] = errors(GpuNodePoolSettings, p4)
    assert problem.startswith(
        f"{SOURCE}: queuedProvisioning: pool 'p4': queued provisioning is not verified for nvidia-tesla-p4 (fix:"
    )


def test_taints_and_labels_the_platform_owns():
    assert errors(
        GpuNodePoolSettings,
        l4_pool(
            taints=[{"key": "cloud.google.com/gke-spot", "value": "true", "effect": "NoSchedule"}],
            labels={"cloud.google.com/gke-accelerator": "x", "-bad": "x"},
        ),
    ) == [
        f"{SOURCE}: taints[0].key: pool 'l4': the platform sets the cloud.google.com/gke-spot taint itself (fix: remove this taint)",
        f"{SOURCE}: labels.cloud.google.com/gke-accelerator: pool 'l4': 'cloud.google.com/gke-accelerator' is set by GKE or the kubelet (fix: remove it or use your own prefix)",
        f"{SOURCE}: labels.-bad: pool 'l4': '-bad' is not a Kubernetes label key (fix: use [prefix/]name, e.g. team)",
    ]
    assert errors(GpuNodePoolSettings, l4_pool(taints=[{"key": "team", "value": "nlp", "effect": "NoDrain"}]))[
        0
    ].startswith(
        f"{SOURCE}: taints[0].effect: 'NoDrain' is not allowed (fix: use one of 'NoSchedule', 'PreferNoSchedule' or 'NoExecute')"
    )


def test_upgrade_settings():
    assert errors(GpuNodePoolSettings, l4_pool(upgradeSettings={"maxSurge": 0})) == [
        f"{SOURCE}: upgradeSettings: a SURGE upgrade with maxSurge 0 and maxUnavailable 0 never progresses (fix: set maxSurge: 1)"
    ]
    assert errors(GpuNodePoolSettings, l4_pool(upgradeSettings={"strategy": "BLUE_GREEN", "maxUnavailable": 1})) == [
        f"{SOURCE}: upgradeSettings: maxSurge and maxUnavailable apply to SURGE only (fix: remove them or use strategy: SURGE)"
    ]
    assert (
        GpuNodePoolSettings.model_validate(
            l4_pool(upgradeSettings={"strategy": "BLUE_GREEN"})
        ).upgrade_settings.strategy
        == "BLUE_GREEN"
    )


def test_unknown_keys_are_rejected_with_a_suggestion():
    assert errors(GpuNodePoolSettings, l4_pool(spotVm=True)) == [
        f"{SOURCE}: spotVm: unknown key (fix: did you mean 'spot'? remove it or use one of: accelerator, autoRepair, "
        "autoUpgrade, autoscaling, diskSizeGb, diskType, labels, machineType, name, nodeLocations, queuedProvisioning, "
        "reservationAffinity, spot, taints, upgradeSettings)"
    ]
