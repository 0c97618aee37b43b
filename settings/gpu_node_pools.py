"""Typed stack settings for GPU node pools (`gpuNodePools:`), and their checks against the cluster.

GPU facts (which machine carries which GPU, MIG sizes, sharing limits) come from facts/gpus.py and
facts/gpu_machine_types.py; constraints of GKE features are cited where they are checked. Every check
returns every finding at once, each on the key to change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import Field, model_validator

from core.names import LABEL_KEY, LabelValue
from core.problems import Finding, Invalid
from core.spec import Located, Spec, located, raise_located
from facts import gpu_rules
from facts import gpus as catalog
from settings.cluster import MAX_DISK_GB, MAX_NODES, ZONE, ClusterSettings, PoolName, TotalNodeCounts

# Taints and labels the platform puts on GPU pools itself (components/cluster/gpu_node_pool.py).
GPU_TAINT_KEY = "nvidia.com/gpu"
SPOT_TAINT_KEY = "cloud.google.com/gke-spot"
# Node label prefixes GKE or the kubelet own; GKE sets cloud.google.com/gke-* labels from the pool
# config, and the kubelet refuses most kubernetes.io/ and k8s.io/ labels (NodeRestriction).
RESERVED_NODE_LABEL_PREFIXES = ("cloud.google.com/", "kubernetes.io/", "k8s.io/")


Found = tuple[tuple[str | int, ...], Finding]  # (camelCase path inside the pool, finding)


class GpuSharing(Spec):
    strategy: Literal["TIME_SHARING", "MPS"]
    max_shared_clients_per_gpu: int


class AcceleratorSettings(Spec):
    type: str
    count: int = Field(ge=1, le=16, description="GPUs per node; for g2/a2/a3/a4 the machine type fixes it.")
    # Never unspecified: before GKE 1.30.1-gke.1156000 "unspecified" installs no driver at all.
    driver_version: Literal["DEFAULT", "LATEST"] = "DEFAULT"
    sharing: GpuSharing | None = None
    mig_partition_size: str | None = None


class PoolAutoscaling(TotalNodeCounts):
    total_min_node_count: int = Field(0, ge=0, le=MAX_NODES)
    total_max_node_count: int = Field(ge=1, le=MAX_NODES)
    # ANY: the autoscaler takes GPUs in whichever zone has them and uses unused reservations first;
    # GPU capacity is scarce per zone, and GKE recommends ANY for spot and reservations.
    location_policy: Literal["BALANCED", "ANY"] = "ANY"


class ReservationAffinity(Spec):
    consume_reservation_type: Literal["NO_RESERVATION", "ANY_RESERVATION", "SPECIFIC_RESERVATION"]
    key: str | None = None  # SPECIFIC_RESERVATION: compute.googleapis.com/reservation-name
    values: tuple[str, ...] = ()  # SPECIFIC_RESERVATION: the reservation names

    @model_validator(mode="after")
    def _key_values(self):
        specific = self.consume_reservation_type == "SPECIFIC_RESERVATION"
        if specific and not (self.key and self.values):
            raise Invalid(
                "SPECIFIC_RESERVATION names its reservations",
                "set key: compute.googleapis.com/reservation-name and values: [<reservation>]",
            )
        if not specific and (self.key or self.values):
            raise Invalid(f"{self.consume_reservation_type} takes no key or values", "remove them")
        return self


class NodeTaint(Spec):
    key: str
    value: str
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class UpgradeSettings(Spec):
    strategy: Literal["SURGE", "BLUE_GREEN"] = "SURGE"
    # SURGE only. One extra node at a time and none taken away: serving capacity never drops,
    # at the cost of GPU quota for one more node during upgrades.
    max_surge: int = Field(1, ge=0, le=MAX_NODES)
    max_unavailable: int = Field(0, ge=0, le=MAX_NODES)

    @model_validator(mode="after")
    def _strategy_fields(self):
        if self.strategy == "BLUE_GREEN" and {"max_surge", "max_unavailable"} & self.model_fields_set:
            raise Invalid("maxSurge and maxUnavailable apply to SURGE only", "remove them or use strategy: SURGE")
        if self.strategy == "SURGE" and self.max_surge + self.max_unavailable == 0:
            raise Invalid("a SURGE upgrade with maxSurge 0 and maxUnavailable 0 never progresses", "set maxSurge: 1")
        return self


class GpuNodePoolSettings(Spec):
    name: PoolName
    machine_type: str
    accelerator: AcceleratorSettings
    spot: bool = False
    autoscaling: PoolAutoscaling
    node_locations: tuple[str, ...] = Field((), description="Zones of the pool; empty means the cluster's zones.")
    reservation_affinity: ReservationAffinity | None = None
    queued_provisioning: bool = False
    taints: tuple[NodeTaint, ...] = Field((), description="In addition to the GPU (and spot) taint the platform sets.")
    labels: dict[str, LabelValue] = Field(default_factory=dict)
    upgrade_settings: UpgradeSettings = Field(default_factory=UpgradeSettings)
    auto_repair: bool = True
    auto_upgrade: bool = True
    disk_size_gb: int = Field(200, ge=10, le=MAX_DISK_GB, description="Serving images with CUDA are large.")
    disk_type: Literal["pd-balanced", "pd-ssd", "pd-standard", "hyperdisk-balanced"] = "pd-balanced"

    @property
    def capacity(self) -> str:
        """The capacity model the pool's VMs come from (see gpu_catalog)."""
        if self.queued_provisioning:
            return catalog.FLEX_START
        if self.spot:
            return catalog.SPOT
        if self.reservation_affinity and self.reservation_affinity.consume_reservation_type == "SPECIFIC_RESERVATION":
            return catalog.RESERVATION
        return catalog.ON_DEMAND

    @model_validator(mode="after")
    def _gke_accepts_it(self):
        raise_located("GpuNodePoolSettings", self.problems())
        return self

    def problems(self) -> list[Located]:
        """Every reason GKE would reject this pool, each on the key to change."""
        return [
            located(loc, f"pool '{self.name}': {finding.message}", finding.fix)
            for loc, finding in (
                self._accelerator_problems() + self._queued_problems() + self._taint_and_label_problems()
            )
        ]

    def _accelerator_problems(self) -> list[Found]:
        acc = self.accelerator
        found: list[Found] = [(("accelerator", "type"), m) for m in gpu_rules.accelerator_problems(acc.type)]
        found += [(("machineType",), m) for m in gpu_rules.machine_problems(acc.type, self.machine_type, acc.count)]
        found += [
            (("accelerator", "migPartitionSize"), m)
            for m in gpu_rules.partition_problems(acc.type, acc.mig_partition_size)
        ]
        if acc.sharing:
            found += [
                (("accelerator", "sharing"), m)
                for m in gpu_rules.sharing_problems(
                    acc.type, acc.sharing.strategy, acc.sharing.max_shared_clients_per_gpu
                )
            ]
        found += [(("machineType",), m) for m in gpu_rules.capacity_problems(self.machine_type, self.capacity)]
        return found

    def _queued_problems(self) -> list[Found]:
        """[GKE-DWS] A queued-provisioning pool is created with --enable-autoscaling --num-nodes=0
        --location-policy=ANY --reservation-affinity=none --no-enable-autorepair, and flex-start
        capacity is a provisioning model of its own, so not spot."""
        if not self.queued_provisioning:
            return []
        found: list[Found] = [
            (("queuedProvisioning",), m) for m in gpu_rules.queued_provisioning_problems(self.accelerator.type)
        ]
        why = "queued provisioning"
        if self.spot:
            found.append(
                (("spot",), Finding(f"{why} (flex-start) and spot are different capacity models", "set spot: false"))
            )
        if self.autoscaling.total_min_node_count != 0:
            found.append(
                (
                    ("autoscaling", "totalMinNodeCount"),
                    Finding(
                        f"{why} pools start empty and grow only through ProvisioningRequests",
                        "set totalMinNodeCount: 0",
                    ),
                )
            )
        if self.autoscaling.location_policy != "ANY":
            found.append(
                (
                    ("autoscaling", "locationPolicy"),
                    Finding(f"{why} needs location policy ANY", "set locationPolicy: ANY"),
                )
            )
        if self.reservation_affinity is None or self.reservation_affinity.consume_reservation_type != "NO_RESERVATION":
            found.append(
                (
                    ("reservationAffinity",),
                    Finding(
                        f"{why} cannot consume reservations",
                        "set reservationAffinity: {consumeReservationType: NO_RESERVATION}",
                    ),
                )
            )
        if self.auto_repair:
            found.append((("autoRepair",), Finding(f"{why} needs node auto-repair off", "set autoRepair: false")))
        return found

    def _taint_and_label_problems(self) -> list[Found]:
        found: list[Found] = []
        for i, taint in enumerate(self.taints):
            if taint.key in (GPU_TAINT_KEY, SPOT_TAINT_KEY):
                found.append(
                    (
                        ("taints", i, "key"),
                        Finding(f"the platform sets the {taint.key} taint itself", "remove this taint"),
                    )
                )
        for key in self.labels:
            if not LABEL_KEY.match(key):
                found.append(
                    (
                        ("labels", key),
                        Finding(f"{key!r} is not a Kubernetes label key", "use [prefix/]name, e.g. team"),
                    )
                )
            elif key.startswith(RESERVED_NODE_LABEL_PREFIXES):
                found.append(
                    (
                        ("labels", key),
                        Finding(f"{key!r} is set by GKE or the kubelet", "remove it or use your own prefix"),
                    )
                )
        return found


# ---------------------------------------------------------------------------------------------
# Checks across keys: called by the stack settings model, which knows both keys and the environment


def gpu_node_pool_problems(cluster: ClusterSettings, pools: Sequence[GpuNodePoolSettings]) -> list[Located]:
    if not pools:
        return []
    if cluster.mode == "kubeconfig":
        return [
            located(
                ("gpuNodePools",),
                "GPU node pools are created in a GKE cluster, but cluster.mode is kubeconfig",
                "set cluster.mode to gke or gke-existing, or remove gpuNodePools",
            )
        ]
    problems = []
    taken = {cluster.system_node_pool.name: "the system node pool"} if cluster.mode == "gke" else {}
    for i, pool in enumerate(pools):
        if pool.name in taken:
            problems.append(
                located(
                    ("gpuNodePools", i, "name"),
                    f"pool name '{pool.name}' is already used by {taken[pool.name]}",
                    "rename one",
                )
            )
        else:
            taken[pool.name] = f"gpuNodePools[{i}]"
        for j, zone in enumerate(pool.node_locations):
            zone_match = ZONE.match(zone)
            if not zone_match or zone_match["region"] != cluster.region:
                problems.append(
                    located(
                        ("gpuNodePools", i, "nodeLocations", j),
                        f"pool '{pool.name}': {zone!r} is not a zone of the cluster's region {cluster.region}",
                        f"use zones like {cluster.region}-a that offer {pool.accelerator.type}",
                    )
                )
        # GKE: node auto-upgrade cannot be disabled in clusters enrolled in a release channel.
        if cluster.mode == "gke" and not pool.auto_upgrade:
            problems.append(
                located(
                    ("gpuNodePools", i, "autoUpgrade"),
                    f"pool '{pool.name}': the cluster is on the {cluster.release_channel} release channel, "
                    "which keeps node auto-upgrade on",
                    "remove autoUpgrade: false",
                )
            )
    return problems
