"""Cluster and GPU node pool settings: every validation error, as the user reads it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError, model_validator

from core.spec import Spec, located, problems_from_validation_error, raise_located
from settings.cluster import ClusterSettings, region_of
from settings.environment_rules import environment_problems
from settings.gpu_node_pools import GpuNodePoolSettings, gpu_node_pool_problems

SOURCE = "Pulumi.dev.yaml"
GKE = {"mode": "gke", "project": "acme-ml", "location": "us-central1", "name": "ml"}


def errors(model, data, prefix=""):
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return [str(p) for p in problems_from_validation_error(caught.value, SOURCE, model, prefix)]


def l4_pool(**overrides):
    pool = {
        "name": "l4",
        "machineType": "g2-standard-8",
        "accelerator": {"type": "nvidia-l4", "count": 1},
        "autoscaling": {"totalMaxNodeCount": 4},
    }
    return {**pool, **overrides}


def gke(**overrides):
    return ClusterSettings.model_validate({**GKE, **overrides})


# ---------------------------------------------------------------------------------------------
# ClusterSettings


def test_defaults_to_the_current_kubeconfig_and_gke_defaults_are_hardened():
    assert ClusterSettings().mode == "kubeconfig"
    cluster = gke()
    assert (cluster.release_channel, cluster.private_nodes, cluster.deletion_protection) == ("REGULAR", True, True)
    assert cluster.binary_authorization == "PROJECT_SINGLETON_POLICY_ENFORCE"
    assert cluster.logging_components == ("SYSTEM_COMPONENTS", "WORKLOADS")
    assert cluster.workload_pool == "acme-ml.svc.id.goog"
    assert cluster.system_node_pool.machine_type == "e2-standard-4"


def test_keys_of_another_mode_and_missing_cluster_identity():
    assert errors(ClusterSettings, {"mode": "gke", "kubeconfig": "~/.kube/config"}, "cluster") == [
        f"{SOURCE}: cluster.kubeconfig: kubeconfig does not apply to mode gke (fix: remove it)",
        f"{SOURCE}: cluster.project: mode gke needs the cluster's project (fix: add project)",
        f"{SOURCE}: cluster.location: mode gke needs the cluster's location (fix: add location)",
        f"{SOURCE}: cluster.name: mode gke needs the cluster's name (fix: add name)",
    ]
    assert errors(ClusterSettings, {"mode": "kubeconfig", "project": "p", "releaseChannel": "RAPID"}) == [
        f"{SOURCE}: project: project does not apply to mode kubeconfig (fix: remove it)",
        f"{SOURCE}: releaseChannel: releaseChannel does not apply to mode kubeconfig (fix: remove it)",
    ]
    adopt = {**GKE, "mode": "gke-existing"}
    assert errors(ClusterSettings, {**adopt, "systemNodePool": {}}) == [
        f"{SOURCE}: systemNodePool: systemNodePool does not apply to mode gke-existing (fix: remove it)"
    ]
    assert ClusterSettings.model_validate(adopt).name == "ml"


def test_location_must_be_a_region_or_zone():
    assert region_of("us-central1-a") == "us-central1" and region_of("europe-west4") == "europe-west4"
    assert errors(ClusterSettings, {**GKE, "location": "central"}) == [
        f"{SOURCE}: location: 'central' is neither a region nor a zone (fix: e.g. us-central1 or us-central1-a)"
    ]


def test_control_plane_network_settings():
    assert errors(ClusterSettings, {**GKE, "masterIpv4Cidr": "172.16.0.1/28"}) == [
        f"{SOURCE}: masterIpv4Cidr: '172.16.0.1/28' is not a CIDR block (fix: write the network address, e.g. 10.0.0.0/28)"
    ]
    assert errors(ClusterSettings, {**GKE, "masterIpv4Cidr": "172.16.0.0/24"}) == [
        f"{SOURCE}: masterIpv4Cidr: the control plane range must be a /28 (fix: e.g. 172.16.0.0/28)"
    ]
    assert errors(
        ClusterSettings, {**GKE, "privateNodes": False, "masterIpv4Cidr": "172.16.0.0/28", "privateEndpoint": True}
    ) == [
        f"{SOURCE}: masterIpv4Cidr: masterIpv4Cidr only applies to private nodes (fix: remove it or set privateNodes: true)",
        f"{SOURCE}: privateEndpoint: a private endpoint needs private nodes (fix: set privateNodes: true)",
    ]
    assert errors(
        ClusterSettings, {**GKE, "masterAuthorizedNetworks": [{"cidrBlock": "10.0.0.1/8", "displayName": "vpn"}]}
    ) == [
        f"{SOURCE}: masterAuthorizedNetworks[0].cidrBlock: '10.0.0.1/8' is not a CIDR block (fix: write the network address, e.g. 10.0.0.0/28)"
    ]
    assert errors(ClusterSettings, {**GKE, "networking": {"podsRangeName": "pods"}}) == [
        f"{SOURCE}: networking: podsRangeName and servicesRangeName go together "
        "(fix: set both to the subnetwork's secondary range names, or neither)"
    ]


def test_logging_and_monitoring_components():
    assert errors(ClusterSettings, {**GKE, "loggingComponents": ["WORKLOADS"], "monitoringComponents": ["DCGM"]}) == [
        f"{SOURCE}: loggingComponents: loggingComponents needs SYSTEM_COMPONENTS when any component is enabled (fix: add SYSTEM_COMPONENTS)",
        f"{SOURCE}: monitoringComponents: monitoringComponents needs SYSTEM_COMPONENTS when any component is enabled (fix: add SYSTEM_COMPONENTS)",
        f"{SOURCE}: monitoringComponents: DCGM GPU metrics need managed Prometheus (fix: set managedPrometheus: true)",
    ]
    assert gke(monitoringComponents=["SYSTEM_COMPONENTS", "DCGM"], managedPrometheus=True).managed_prometheus
    assert gke(loggingComponents=[]).logging_components == ()
    assert errors(ClusterSettings, {**GKE, "loggingComponents": ["EVERYTHING"]})[0].startswith(
        f"{SOURCE}: loggingComponents[0]: 'EVERYTHING' is not allowed (fix: use one of 'SYSTEM_COMPONENTS',"
    )


def test_system_node_pool_settings():
    assert errors(
        ClusterSettings, {**GKE, "systemNodePool": {"name": "System", "totalMinNodeCount": 3, "totalMaxNodeCount": 2}}
    ) == [
        f"{SOURCE}: systemNodePool.name: 'System' is not a node pool name (fix: lowercase letters, digits and '-', starting with a letter, max 40)",
    ]
    assert errors(ClusterSettings, {**GKE, "systemNodePool": {"totalMinNodeCount": 3, "totalMaxNodeCount": 2}}) == [
        f"{SOURCE}: systemNodePool: totalMaxNodeCount 2 is below totalMinNodeCount 3 (fix: raise totalMaxNodeCount)"
    ]


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


# ---------------------------------------------------------------------------------------------
# Across keys and environments


def pools(*items):
    return tuple(GpuNodePoolSettings.model_validate(i) for i in items)


def test_pools_need_a_gke_cluster():
    assert gpu_node_pool_problems(ClusterSettings(), pools(l4_pool())) == [
        located(
            ("gpuNodePools",),
            "GPU node pools are created in a GKE cluster, but cluster.mode is kubeconfig",
            "set cluster.mode to gke or gke-existing, or remove gpuNodePools",
        )
    ]
    assert gpu_node_pool_problems(ClusterSettings(), ()) == []


def test_pool_names_zones_and_auto_upgrade_across_the_stack():
    found = gpu_node_pool_problems(
        gke(),
        pools(
            l4_pool(name="system"),
            l4_pool(nodeLocations=["us-central1-a", "europe-west4-b", "nowhere"]),
            l4_pool(autoUpgrade=False),
        ),
    )
    assert found == [
        located(
            ("gpuNodePools", 0, "name"), "pool name 'system' is already used by the system node pool", "rename one"
        ),
        located(
            ("gpuNodePools", 1, "nodeLocations", 1),
            "pool 'l4': 'europe-west4-b' is not a zone of the cluster's region us-central1",
            "use zones like us-central1-a that offer nvidia-l4",
        ),
        located(
            ("gpuNodePools", 1, "nodeLocations", 2),
            "pool 'l4': 'nowhere' is not a zone of the cluster's region us-central1",
            "use zones like us-central1-a that offer nvidia-l4",
        ),
        located(("gpuNodePools", 2, "name"), "pool name 'l4' is already used by gpuNodePools[1]", "rename one"),
        located(
            ("gpuNodePools", 2, "autoUpgrade"),
            "pool 'l4': the cluster is on the REGULAR release channel, which keeps node auto-upgrade on",
            "remove autoUpgrade: false",
        ),
    ]
    # an adopted cluster: its release channel is not ours to know, and it has no system pool of ours
    adopted = ClusterSettings.model_validate({**GKE, "mode": "gke-existing", "location": "us-central1-a"})
    assert (
        gpu_node_pool_problems(
            adopted, pools(l4_pool(name="system", autoUpgrade=False, nodeLocations=["us-central1-b"]))
        )
        == []
    )


def test_prod_keeps_its_protections():
    relaxed = gke(
        deletionProtection=False,
        binaryAuthorization="DISABLED",
        masterAuthorizedNetworks=[{"cidrBlock": "0.0.0.0/0", "displayName": "anywhere"}],
    )
    assert environment_problems("prod", relaxed) == [
        located(
            ("cluster", "deletionProtection"),
            "prod keeps cluster deletion protection",
            "remove deletionProtection: false",
        ),
        located(
            ("cluster", "binaryAuthorization"),
            "prod enforces the Binary Authorization policy",
            "remove binaryAuthorization: DISABLED",
        ),
        located(
            ("cluster", "masterAuthorizedNetworks", 0, "cidrBlock"),
            "0.0.0.0/0 opens prod's control plane to the internet",
            "use your CI and office ranges",
        ),
    ]
    assert environment_problems("prod", gke()) == [
        located(
            ("cluster", "masterAuthorizedNetworks"),
            "prod's public control-plane endpoint must be limited to known networks",
            "list them in masterAuthorizedNetworks",
        )
    ]
    assert environment_problems("prod", gke(privateEndpoint=True)) == []
    assert environment_problems("dev", relaxed) == []


def test_cross_key_problems_land_on_their_keys_when_raised_from_the_stack_model():
    class Stack(Spec):  # the shape settings/stack.py gives the two keys
        environment: str
        cluster: ClusterSettings
        gpu_node_pools: tuple[GpuNodePoolSettings, ...] = ()

        @model_validator(mode="after")
        def _together(self):
            raise_located(
                "Stack",
                gpu_node_pool_problems(self.cluster, self.gpu_node_pools)
                + environment_problems(self.environment, self.cluster),
            )
            return self

    assert errors(
        Stack,
        {
            "environment": "prod",
            "cluster": {**GKE, "privateEndpoint": True, "deletionProtection": False},
            "gpuNodePools": [l4_pool(nodeLocations=["us-east1-b"])],
        },
    ) == [
        f"{SOURCE}: gpuNodePools[0].nodeLocations[0]: pool 'l4': 'us-east1-b' is not a zone of the cluster's region us-central1 (fix: use zones like us-central1-a that offer nvidia-l4)",
        f"{SOURCE}: cluster.deletionProtection: prod keeps cluster deletion protection (fix: remove deletionProtection: false)",
    ]
