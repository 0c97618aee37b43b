"""Typed stack settings for the cluster (`cluster:`): which cluster, and how a GKE one is built.

GPU node pools (`gpuNodePools:`) have their own file (settings/gpu_node_pools.py); what ties the two
together and what an environment demands are cross-key checks in settings/gpu_node_pools.py and
settings/environment_rules.py. Every check returns every problem at once, each on its own key
(core.spec.raise_located), with its fix.

Every default of the cluster's structure lives here and nowhere else: the components take these
objects and never repeat a default.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from core.problems import Finding, Invalid
from core.spec import Located, Spec, located, raise_located

# GKE node pool names: lowercase letters, digits and '-', starting with a letter, at most 40 chars.
_POOL_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$")
ZONE = re.compile(r"^(?P<region>[a-z]+-[a-z]+\d+)-[a-z]$")
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


def region_of(location: str) -> str:
    """us-central1-a -> us-central1; a region stays itself."""
    zone = ZONE.match(location)
    return zone["region"] if zone else location


def _cidr_problem(value: str) -> Finding | None:
    try:
        ipaddress.ip_network(value, strict=True)
        return None
    except ValueError:
        return Finding(f"{value!r} is not a CIDR block", "write the network address, e.g. 10.0.0.0/28")


# ---------------------------------------------------------------------------------------------
# The cluster


class AuthorizedNetwork(Spec):
    cidr_block: str
    display_name: str = Field(min_length=1)

    @field_validator("cidr_block")
    @classmethod
    def _cidr(cls, value: str) -> str:
        if problem := _cidr_problem(value):
            raise Invalid(problem.message, problem.fix)
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
            raise Invalid(
                "podsRangeName and servicesRangeName go together",
                "set both to the subnetwork's secondary range names, or neither",
            )
        return self


def _pool_name(value: str) -> str:
    if not _POOL_NAME.match(value):
        raise Invalid(
            f"{value!r} is not a node pool name", "lowercase letters, digits and '-', starting with a letter, max 40"
        )
    return value


PoolName = Annotated[str, AfterValidator(_pool_name)]


# Upper bounds that catch a typo before GKE does, halfway through an `up`. GKE: a Standard cluster has at
# most 15,000 nodes (https://cloud.google.com/kubernetes-engine/quotas); Compute Engine: a persistent disk
# is at most 64 TB (https://cloud.google.com/compute/docs/disks#pdspecs).
MAX_NODES = 15_000
MAX_DISK_GB = 65_536


class TotalNodeCounts(Spec):
    """Autoscaling bounds counted over all zones of a pool (subclasses give the fields their defaults)."""

    total_min_node_count: int
    total_max_node_count: int

    @model_validator(mode="after")
    def _bounds(self):
        if self.total_max_node_count < self.total_min_node_count:
            raise Invalid(
                f"totalMaxNodeCount {self.total_max_node_count} is below totalMinNodeCount {self.total_min_node_count}",
                "raise totalMaxNodeCount",
            )
        return self


class SystemNodePoolSettings(TotalNodeCounts):
    """The on-demand, CPU-only pool for platform add-ons (Argo CD, Flagger, Prometheus, ...)."""

    name: PoolName = "system"
    machine_type: str = "e2-standard-4"
    # At least one node, so add-ons always have a home.
    total_min_node_count: int = Field(1, ge=1, le=MAX_NODES)
    total_max_node_count: int = Field(3, ge=1, le=MAX_NODES)
    disk_size_gb: int = Field(100, ge=10, le=MAX_DISK_GB)
    disk_type: Literal["pd-balanced", "pd-ssd", "pd-standard"] = "pd-balanced"


# Keys that only mean something in one mode; setting them in another is a mistake worth reporting.
_KUBECONFIG_KEYS = ("kubeconfig", "context")
_ADOPT_KEYS = ("project", "location", "name")


@dataclass(frozen=True)
class GkeIdentity:
    """Which GKE cluster: always known in the gke modes (the settings refuse them without it)."""

    project: str
    location: str
    name: str


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
    # How CI and people reach the control plane. "dns" (default): GKE's DNS-based endpoint
    # (`gke-<id>.<region>.gke.goog`) with external traffic allowed, where IAM (container.clusters.connect)
    # decides instead of source addresses, so GitHub-hosted runners, whose addresses are not ours to list,
    # reach it through OIDC; the kubeconfig uses it, and the IP endpoint admits masterAuthorizedNetworks
    # only (none listed: nobody from the internet). "ip": the IP endpoint, for self-hosted runners in the
    # VPC or in masterAuthorizedNetworks.
    control_plane_access: Literal["dns", "ip"] = "dns"
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
    def gke_identity(self) -> GkeIdentity:
        if self.project is None or self.location is None or self.name is None:
            raise ValueError(f"cluster mode {self.mode} names no GKE cluster")
        return GkeIdentity(self.project, self.location, self.name)

    @property
    def region(self) -> str | None:
        return region_of(self.location) if self.location else None

    @model_validator(mode="after")
    def _fits_mode(self):
        raise_located("ClusterSettings", self._mode_problems() + self._gke_problems())
        return self

    def _mode_problems(self) -> list[Located]:
        applicable = {
            "kubeconfig": set(_KUBECONFIG_KEYS),
            "gke-existing": {*_ADOPT_KEYS, "control_plane_access"},
            "gke": set(type(self).model_fields) - set(_KUBECONFIG_KEYS),
        }[self.mode] | {"mode"}
        aliases = {name: field.alias or name for name, field in type(self).model_fields.items()}
        problems = [
            located(
                (aliases[key],),
                f"{aliases[key]} does not apply to mode {self.mode}",
                "remove it",
            )
            for key in sorted(self.model_fields_set - applicable)
        ]
        if self.mode != "kubeconfig":
            problems += [
                located((key,), f"mode {self.mode} needs the cluster's {key}", f"add {key}")
                for key in _ADOPT_KEYS
                if getattr(self, key) is None
            ]
        if self.location and not (ZONE.match(self.location) or _REGION.match(self.location)):
            problems.append(
                located(
                    ("location",),
                    f"{self.location!r} is neither a region nor a zone",
                    "e.g. us-central1 or us-central1-a",
                )
            )
        return problems

    def _gke_problems(self) -> list[Located]:
        if self.mode != "gke":
            return []
        problems = []
        if self.master_ipv4_cidr is not None:
            if problem := _cidr_problem(self.master_ipv4_cidr):
                problems.append(Located(("masterIpv4Cidr",), problem))
            elif ipaddress.ip_network(self.master_ipv4_cidr).prefixlen != 28:
                problems.append(
                    located(("masterIpv4Cidr",), "the control plane range must be a /28", "e.g. 172.16.0.0/28")
                )
            if not self.private_nodes:
                problems.append(
                    located(
                        ("masterIpv4Cidr",),
                        "masterIpv4Cidr only applies to private nodes",
                        "remove it or set privateNodes: true",
                    )
                )
        if self.private_endpoint and not self.private_nodes:
            problems.append(
                located(("privateEndpoint",), "a private endpoint needs private nodes", "set privateNodes: true")
            )
        # GKE: WORKLOADS logging and any extra metrics package build on the system components.
        for key, components in (
            ("loggingComponents", self.logging_components),
            ("monitoringComponents", self.monitoring_components),
        ):
            if components and "SYSTEM_COMPONENTS" not in components:
                problems.append(
                    located(
                        (key,),
                        f"{key} needs SYSTEM_COMPONENTS when any component is enabled",
                        "add SYSTEM_COMPONENTS",
                    )
                )
        # GKE "Collect DCGM metrics": DCGM metrics are collected by Managed Service for Prometheus.
        if "DCGM" in self.monitoring_components and not self.managed_prometheus:
            problems.append(
                located(
                    ("monitoringComponents",),
                    "DCGM GPU metrics need managed Prometheus",
                    "set managedPrometheus: true",
                )
            )
        return problems
