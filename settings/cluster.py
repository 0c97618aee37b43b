"""Typed stack settings for the cluster (`cluster:`) and its GPU node pools (`gpuNodePools:`).

The two are separate stack config keys; what ties them together (pool zones inside the cluster's
region, names unique, pools only on GKE) is checked by `gpu_node_pool_problems`, and what an
environment demands (prod keeps deletion protection, a locked-down control plane, enforced
Binary Authorization) by `environment_problems`. Both return every problem at once; the stack
settings model raises them through `raise_setting_problems` so each lands on its own key.

Every default of the cluster's structure lives here and nowhere else: the components take these
objects and never repeat a default.

GPU facts (which machine carries which GPU, MIG sizes, sharing limits) come from
facts/gpus.py; constraints of GKE features are cited where they are checked.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from core.names import LABEL_KEY, LabelValue
from core.spec import Spec
from facts import gpus as catalog

# Taints and labels the platform puts on GPU pools itself (components/cluster/gpu_node_pool.py).
GPU_TAINT_KEY = "nvidia.com/gpu"
SPOT_TAINT_KEY = "cloud.google.com/gke-spot"
# Node label prefixes GKE or the kubelet own; GKE sets cloud.google.com/gke-* labels from the pool
# config, and the kubelet refuses most kubernetes.io/ and k8s.io/ labels (NodeRestriction).
RESERVED_NODE_LABEL_PREFIXES = ("cloud.google.com/", "kubernetes.io/", "k8s.io/")

# GKE node pool names: lowercase letters, digits and '-', starting with a letter, at most 40 chars.
_POOL_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$")
_ZONE = re.compile(r"^(?P<region>[a-z]+-[a-z]+\d+)-[a-z]$")
_REGION = re.compile(r"^[a-z]+-[a-z]+\d+$")

LoggingComponent = Literal["SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER", "KCP_VPA"]
MonitoringComponent = Literal[
    "SYSTEM_COMPONENTS",
    "APISERVER",
    "SCHEDULER",
    "CONTROLLER_MANAGER",
    "STORAGE",
    "HPA",
    "POD",
    "DAEMONSET",
    "DEPLOYMENT",
    "STATEFULSET",
    "KUBELET",
    "CADVISOR",
    "DCGM",
    "JOBSET",
]


@dataclass(frozen=True)
class SettingProblem:
    loc: tuple[str | int, ...]  # camelCase path from the stack settings root, e.g. ("gpuNodePools", 0, "spot")
    message: str  # "what is wrong (fix: what to do)"


def raise_setting_problems(title: str, problems: Sequence[SettingProblem]) -> None:
    """Raise all problems as one pydantic ValidationError, one error per key, from inside a validator."""
    if problems:
        raise ValidationError.from_exception_data(
            title,
            [
                InitErrorDetails(
                    type=PydanticCustomError("invalid_setting", "{message}", {"message": p.message}),
                    loc=p.loc,
                    input=None,
                )
                for p in problems
            ],
        )


def region_of(location: str) -> str:
    """us-central1-a -> us-central1; a region stays itself."""
    zone = _ZONE.match(location)
    return zone["region"] if zone else location


def _cidr_problem(value: str) -> str | None:
    try:
        ipaddress.ip_network(value, strict=True)
        return None
    except ValueError:
        return f"{value!r} is not a CIDR block (fix: write the network address, e.g. 10.0.0.0/28)"


# ---------------------------------------------------------------------------------------------
# The cluster


class AuthorizedNetwork(Spec):
    cidr_block: str
    display_name: str = Field(min_length=1)

    @field_validator("cidr_block")
    @classmethod
    def _cidr(cls, value: str) -> str:
        if problem := _cidr_problem(value):
            raise ValueError(problem)
        return value


class Networking(Spec):
    network: str = "default"
    subnetwork: str = "default"
    # Secondary ranges of the subnetwork for Pods and Services; both unset lets GKE create them.
    pods_range_name: str | None = None
    services_range_name: str | None = None

    @model_validator(mode="after")
    def _ranges_together(self):
        if (self.pods_range_name is None) != (self.services_range_name is None):
            raise ValueError(
                "podsRangeName and servicesRangeName go together "
                "(fix: set both to the subnetwork's secondary range names, or neither)"
            )
        return self


def _pool_name(value: str) -> str:
    if not _POOL_NAME.match(value):
        raise ValueError(
            f"{value!r} is not a node pool name (fix: lowercase letters, digits and '-', starting with a letter, max 40)"
        )
    return value


PoolName = Annotated[str, AfterValidator(_pool_name)]


class TotalNodeCounts(Spec):
    """Autoscaling bounds counted over all zones of a pool (subclasses give the fields their defaults)."""

    total_min_node_count: int
    total_max_node_count: int

    @model_validator(mode="after")
    def _bounds(self):
        if self.total_max_node_count < self.total_min_node_count:
            raise ValueError(
                f"totalMaxNodeCount {self.total_max_node_count} is below totalMinNodeCount "
                f"{self.total_min_node_count} (fix: raise totalMaxNodeCount)"
            )
        return self


class SystemNodePoolSettings(TotalNodeCounts):
    """The on-demand, CPU-only pool for platform add-ons (Argo CD, Flagger, Prometheus, ...)."""

    name: PoolName = "system"
    machine_type: str = "e2-standard-4"
    # At least one node, so add-ons always have a home.
    total_min_node_count: int = Field(1, ge=1)
    total_max_node_count: int = Field(3, ge=1)
    disk_size_gb: int = Field(100, ge=10)
    disk_type: Literal["pd-balanced", "pd-ssd", "pd-standard"] = "pd-balanced"


# Keys that only mean something in one mode; setting them in another is a mistake worth reporting.
_KUBECONFIG_KEYS = ("kubeconfig", "context")
_ADOPT_KEYS = ("project", "location", "name")


class ClusterSettings(Spec):
    """Which cluster the stack deploys to: the current kubeconfig, a GKE cluster this stack creates
    (`gke`), or one that already exists and is only adopted (`gke-existing`)."""

    mode: Literal["kubeconfig", "gke", "gke-existing"] = "kubeconfig"
    # kubeconfig mode: the file (default: KUBECONFIG / ~/.kube/config) and context (default: current).
    kubeconfig: str | None = None
    context: str | None = None
    # gke and gke-existing
    project: str | None = None
    location: str | None = Field(None, description="A region (regional cluster) or a zone (zonal cluster).")
    name: str | None = None
    # gke only. Dataplane V2, Workload Identity and shielded nodes are always on and not settings.
    release_channel: Literal["RAPID", "REGULAR", "STABLE"] = "REGULAR"
    master_authorized_networks: tuple[AuthorizedNetwork, ...] = ()
    private_nodes: bool = True
    private_endpoint: bool = False
    master_ipv4_cidr: str | None = Field(None, description="A /28 for the control plane; unset lets GKE choose.")
    networking: Networking = Field(default_factory=Networking)
    gateway_api_channel: Literal["CHANNEL_STANDARD", "CHANNEL_EXPERIMENTAL", "CHANNEL_DISABLED"] = "CHANNEL_STANDARD"
    logging_components: tuple[LoggingComponent, ...] = ("SYSTEM_COMPONENTS", "WORKLOADS")
    monitoring_components: tuple[MonitoringComponent, ...] = ("SYSTEM_COMPONENTS",)
    # GKE turns Managed Service for Prometheus on by default; the platform sets it explicitly. Canary analysis,
    # KEDA and Grafana use the stack's kube-prometheus-stack, so it stays off unless DCGM GPU metrics (which
    # GKE delivers to managed Prometheus only) are wanted; settings.addons refuses it on for nothing else.
    managed_prometheus: bool = False
    binary_authorization: Literal["PROJECT_SINGLETON_POLICY_ENFORCE", "DISABLED"] = "PROJECT_SINGLETON_POLICY_ENFORCE"
    deletion_protection: bool = True
    system_node_pool: SystemNodePoolSettings = Field(default_factory=SystemNodePoolSettings)

    @property
    def workload_pool(self) -> str:
        return f"{self.project}.svc.id.goog"

    @property
    def region(self) -> str | None:
        return region_of(self.location) if self.location else None

    @model_validator(mode="after")
    def _fits_mode(self):
        raise_setting_problems("ClusterSettings", self._mode_problems() + self._gke_problems())
        return self

    def _mode_problems(self) -> list[SettingProblem]:
        applicable = {
            "kubeconfig": set(_KUBECONFIG_KEYS),
            "gke-existing": set(_ADOPT_KEYS),
            "gke": set(type(self).model_fields) - set(_KUBECONFIG_KEYS),
        }[self.mode] | {"mode"}
        problems = [
            SettingProblem(
                (type(self).model_fields[key].alias,),
                f"{type(self).model_fields[key].alias} does not apply to mode {self.mode} (fix: remove it)",
            )
            for key in sorted(self.model_fields_set - applicable)
        ]
        if self.mode != "kubeconfig":
            problems += [
                SettingProblem((key,), f"mode {self.mode} needs the cluster's {key} (fix: add {key})")
                for key in _ADOPT_KEYS
                if getattr(self, key) is None
            ]
        if self.location and not (_ZONE.match(self.location) or _REGION.match(self.location)):
            problems.append(
                SettingProblem(
                    ("location",),
                    f"{self.location!r} is neither a region nor a zone (fix: e.g. us-central1 or us-central1-a)",
                )
            )
        return problems

    def _gke_problems(self) -> list[SettingProblem]:
        if self.mode != "gke":
            return []
        problems = []
        if self.master_ipv4_cidr is not None:
            if problem := _cidr_problem(self.master_ipv4_cidr):
                problems.append(SettingProblem(("masterIpv4Cidr",), problem))
            elif ipaddress.ip_network(self.master_ipv4_cidr).prefixlen != 28:
                problems.append(
                    SettingProblem(
                        ("masterIpv4Cidr",), "the control plane range must be a /28 (fix: e.g. 172.16.0.0/28)"
                    )
                )
            if not self.private_nodes:
                problems.append(
                    SettingProblem(
                        ("masterIpv4Cidr",),
                        "masterIpv4Cidr only applies to private nodes (fix: remove it or set privateNodes: true)",
                    )
                )
        if self.private_endpoint and not self.private_nodes:
            problems.append(
                SettingProblem(
                    ("privateEndpoint",), "a private endpoint needs private nodes (fix: set privateNodes: true)"
                )
            )
        # GKE: WORKLOADS logging and any extra metrics package build on the system components.
        for key, components in (
            ("loggingComponents", self.logging_components),
            ("monitoringComponents", self.monitoring_components),
        ):
            if components and "SYSTEM_COMPONENTS" not in components:
                problems.append(
                    SettingProblem(
                        (key,),
                        f"{key} needs SYSTEM_COMPONENTS when any component is enabled (fix: add SYSTEM_COMPONENTS)",
                    )
                )
        # GKE "Collect DCGM metrics": DCGM metrics are collected by Managed Service for Prometheus.
        if "DCGM" in self.monitoring_components and not self.managed_prometheus:
            problems.append(
                SettingProblem(
                    ("monitoringComponents",),
                    "DCGM GPU metrics need managed Prometheus (fix: set managedPrometheus: true)",
                )
            )
        return problems


# ---------------------------------------------------------------------------------------------
# GPU node pools


class GpuSharing(Spec):
    strategy: Literal["TIME_SHARING", "MPS"]
    max_shared_clients_per_gpu: int


class AcceleratorSettings(Spec):
    type: str
    count: int = Field(ge=1, description="GPUs per node; for g2/a2/a3/a4 the machine type fixes it.")
    # Never unspecified: before GKE 1.30.1-gke.1156000 "unspecified" installs no driver at all.
    driver_version: Literal["DEFAULT", "LATEST"] = "DEFAULT"
    sharing: GpuSharing | None = None
    mig_partition_size: str | None = None


class PoolAutoscaling(TotalNodeCounts):
    total_min_node_count: int = Field(0, ge=0)
    total_max_node_count: int = Field(ge=1)
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
            raise ValueError(
                "SPECIFIC_RESERVATION names its reservations "
                "(fix: set key: compute.googleapis.com/reservation-name and values: [<reservation>])"
            )
        if not specific and (self.key or self.values):
            raise ValueError(f"{self.consume_reservation_type} takes no key or values (fix: remove them)")
        return self


class NodeTaint(Spec):
    key: str
    value: str
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class UpgradeSettings(Spec):
    strategy: Literal["SURGE", "BLUE_GREEN"] = "SURGE"
    # SURGE only. One extra node at a time and none taken away: serving capacity never drops,
    # at the cost of GPU quota for one more node during upgrades.
    max_surge: int = Field(1, ge=0)
    max_unavailable: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _strategy_fields(self):
        if self.strategy == "BLUE_GREEN" and {"max_surge", "max_unavailable"} & self.model_fields_set:
            raise ValueError(
                "maxSurge and maxUnavailable apply to SURGE only (fix: remove them or use strategy: SURGE)"
            )
        if self.strategy == "SURGE" and self.max_surge + self.max_unavailable == 0:
            raise ValueError(
                "a SURGE upgrade with maxSurge 0 and maxUnavailable 0 never progresses (fix: set maxSurge: 1)"
            )
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
    disk_size_gb: int = Field(200, ge=10, description="Serving images with CUDA are large.")
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
        raise_setting_problems("GpuNodePoolSettings", self.problems())
        return self

    def problems(self) -> list[SettingProblem]:
        """Every reason GKE would reject this pool, each on the key to change."""
        return [
            SettingProblem(loc, f"pool '{self.name}': {message}")
            for loc, message in (
                self._accelerator_problems() + self._queued_problems() + self._taint_and_label_problems()
            )
        ]

    def _accelerator_problems(self) -> list[tuple[tuple, str]]:
        acc = self.accelerator
        found = [(("accelerator", "type"), m) for m in catalog.accelerator_problems(acc.type)]
        found += [(("machineType",), m) for m in catalog.machine_problems(acc.type, self.machine_type, acc.count)]
        found += [
            (("accelerator", "migPartitionSize"), m)
            for m in catalog.partition_problems(acc.type, acc.mig_partition_size)
        ]
        if acc.sharing:
            found += [
                (("accelerator", "sharing"), m)
                for m in catalog.sharing_problems(
                    acc.type, acc.sharing.strategy, acc.sharing.max_shared_clients_per_gpu
                )
            ]
        found += [(("machineType",), m) for m in catalog.capacity_problems(self.machine_type, self.capacity)]
        return found

    def _queued_problems(self) -> list[tuple[tuple, str]]:
        """[GKE-DWS] A queued-provisioning pool is created with --enable-autoscaling --num-nodes=0
        --location-policy=ANY --reservation-affinity=none --no-enable-autorepair, and flex-start
        capacity is a provisioning model of its own, so not spot."""
        if not self.queued_provisioning:
            return []
        found = [(("queuedProvisioning",), m) for m in catalog.queued_provisioning_problems(self.accelerator.type)]
        why = "queued provisioning"
        if self.spot:
            found.append(
                (("spot",), f"{why} (flex-start) and spot are different capacity models (fix: set spot: false)")
            )
        if self.autoscaling.total_min_node_count != 0:
            found.append(
                (
                    ("autoscaling", "totalMinNodeCount"),
                    f"{why} pools start empty and grow only through ProvisioningRequests (fix: set totalMinNodeCount: 0)",
                )
            )
        if self.autoscaling.location_policy != "ANY":
            found.append(
                (("autoscaling", "locationPolicy"), f"{why} needs location policy ANY (fix: set locationPolicy: ANY)")
            )
        if self.reservation_affinity is None or self.reservation_affinity.consume_reservation_type != "NO_RESERVATION":
            found.append(
                (
                    ("reservationAffinity",),
                    f"{why} cannot consume reservations (fix: set reservationAffinity: {{consumeReservationType: NO_RESERVATION}})",
                )
            )
        if self.auto_repair:
            found.append((("autoRepair",), f"{why} needs node auto-repair off (fix: set autoRepair: false)"))
        return found

    def _taint_and_label_problems(self) -> list[tuple[tuple, str]]:
        found = []
        for i, taint in enumerate(self.taints):
            if taint.key in (GPU_TAINT_KEY, SPOT_TAINT_KEY):
                found.append(
                    (("taints", i, "key"), f"the platform sets the {taint.key} taint itself (fix: remove this taint)")
                )
        for key in self.labels:
            if not LABEL_KEY.match(key):
                found.append(
                    (("labels", key), f"{key!r} is not a Kubernetes label key (fix: use [prefix/]name, e.g. team)")
                )
            elif key.startswith(RESERVED_NODE_LABEL_PREFIXES):
                found.append(
                    (("labels", key), f"{key!r} is set by GKE or the kubelet (fix: remove it or use your own prefix)")
                )
        return found


# ---------------------------------------------------------------------------------------------
# Checks across keys: called by the stack settings model, which knows both keys and the environment


def gpu_node_pool_problems(cluster: ClusterSettings, pools: Sequence[GpuNodePoolSettings]) -> list[SettingProblem]:
    if not pools:
        return []
    if cluster.mode == "kubeconfig":
        return [
            SettingProblem(
                ("gpuNodePools",),
                "GPU node pools are created in a GKE cluster, but cluster.mode is kubeconfig "
                "(fix: set cluster.mode to gke or gke-existing, or remove gpuNodePools)",
            )
        ]
    problems = []
    taken = {cluster.system_node_pool.name: "the system node pool"} if cluster.mode == "gke" else {}
    for i, pool in enumerate(pools):
        if pool.name in taken:
            problems.append(
                SettingProblem(
                    ("gpuNodePools", i, "name"),
                    f"pool name '{pool.name}' is already used by {taken[pool.name]} (fix: rename one)",
                )
            )
        else:
            taken[pool.name] = f"gpuNodePools[{i}]"
        for j, zone in enumerate(pool.node_locations):
            zone_match = _ZONE.match(zone)
            if not zone_match or zone_match["region"] != cluster.region:
                problems.append(
                    SettingProblem(
                        ("gpuNodePools", i, "nodeLocations", j),
                        f"pool '{pool.name}': {zone!r} is not a zone of the cluster's region {cluster.region} "
                        f"(fix: use zones like {cluster.region}-a that offer {pool.accelerator.type})",
                    )
                )
        # GKE: node auto-upgrade cannot be disabled in clusters enrolled in a release channel.
        if cluster.mode == "gke" and not pool.auto_upgrade:
            problems.append(
                SettingProblem(
                    ("gpuNodePools", i, "autoUpgrade"),
                    f"pool '{pool.name}': the cluster is on the {cluster.release_channel} release channel, "
                    "which keeps node auto-upgrade on (fix: remove autoUpgrade: false)",
                )
            )
    return problems


def environment_problems(environment: str, cluster: ClusterSettings) -> list[SettingProblem]:
    """Production may not relax what protects it; other environments may."""
    if environment != "prod" or cluster.mode != "gke":
        return []
    problems = []
    if not cluster.deletion_protection:
        problems.append(
            SettingProblem(
                ("cluster", "deletionProtection"),
                "prod keeps cluster deletion protection (fix: remove deletionProtection: false)",
            )
        )
    if cluster.binary_authorization != "PROJECT_SINGLETON_POLICY_ENFORCE":
        problems.append(
            SettingProblem(
                ("cluster", "binaryAuthorization"),
                "prod enforces the Binary Authorization policy (fix: remove binaryAuthorization: DISABLED)",
            )
        )
    if not cluster.private_endpoint:
        if not cluster.master_authorized_networks:
            problems.append(
                SettingProblem(
                    ("cluster", "masterAuthorizedNetworks"),
                    "prod's public control-plane endpoint must be limited to known networks (fix: list them in masterAuthorizedNetworks)",
                )
            )
        for i, network in enumerate(cluster.master_authorized_networks):
            if ipaddress.ip_network(network.cidr_block).prefixlen == 0:
                problems.append(
                    SettingProblem(
                        ("cluster", "masterAuthorizedNetworks", i, "cidrBlock"),
                        f"{network.cidr_block} opens prod's control plane to the internet (fix: use your CI and office ranges)",
                    )
                )
    return problems
