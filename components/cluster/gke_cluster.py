"""The GKE cluster a stack deploys to, created here (`gke`) or adopted (`gke-existing`), with its
node service account, its system node pool, its GPU node pools, the spot pool batch jobs run on and a
Kubernetes provider for it.

The Kubernetes provider authenticates the way `gcloud container clusters get-credentials` does
(components/cluster/kubeconfig.py): no token or client key is ever written into the kubeconfig or
the Pulumi state.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.cluster.batch_node_pool import BatchNodePool, BatchNodePoolArgs
from components.cluster.gpu_node_pool import GpuNodePool, GpuNodePoolArgs, hardened_node_config
from components.cluster.kubeconfig import build_kubeconfig, dns_endpoint_of, kubeconfig_context_name
from components.gcp.workload_identity import service_account_id
from plan.gpu_placement import PoolFacts
from settings.batch_node_pool import BatchNodePoolSettings
from settings.cluster import ClusterSettings
from settings.gpu_node_pools import GpuNodePoolSettings

# The roles GKE documents for a least-privilege node service account ("Harden your cluster's
# security"), plus pulling images from Artifact Registry.
NODE_SERVICE_ACCOUNT_ROLES = (
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/artifactregistry.reader",
)


def cluster_inputs(settings: ClusterSettings) -> dict[str, Any]:
    """Keyword arguments of gcp.container.Cluster for a `gke` cluster."""
    networking = settings.networking
    inputs: dict[str, Any] = {
        "name": settings.name,
        "project": settings.project,
        "location": settings.location,
        # Node pools are separate resources; the default pool only exists while the cluster is created.
        "remove_default_node_pool": True,
        "initial_node_count": 1,
        "release_channel": {"channel": settings.release_channel},
        "workload_identity_config": {"workload_pool": settings.workload_pool},
        # Dataplane V2 enforces NetworkPolicies itself (the network-policy add-on must stay off).
        "datapath_provider": "ADVANCED_DATAPATH",
        "enable_shielded_nodes": True,
        # VPC-native (alias IPs) is what GKE creates by default; it is required for private nodes.
        "network": networking.network,
        "subnetwork": networking.subnetwork,
        "gateway_api_config": {"channel": settings.gateway_api_channel},
        "logging_config": {"enable_components": list(settings.logging_components)},
        "monitoring_config": {
            "enable_components": list(settings.monitoring_components),
            # Explicit either way: GKE's default is on, and the platform's own Prometheus is what queries use.
            "managed_prometheus": {"enabled": settings.managed_prometheus},
        },
        "binary_authorization": {"evaluation_mode": settings.binary_authorization},
        "deletion_protection": settings.deletion_protection,
    }
    if networking.pods_range_name:
        # Unset, GKE creates the Pod and Service ranges itself.
        inputs["ip_allocation_policy"] = {
            "cluster_secondary_range_name": networking.pods_range_name,
            "services_secondary_range_name": networking.services_range_name,
        }
    if settings.private_nodes:
        private: dict[str, Any] = {"enable_private_nodes": True, "enable_private_endpoint": settings.private_endpoint}
        if settings.master_ipv4_cidr:
            private["master_ipv4_cidr_block"] = settings.master_ipv4_cidr
        inputs["private_cluster_config"] = private
    if settings.control_plane_access == "dns":
        # IAM-gated and reachable from anywhere Google's APIs are: GitHub-hosted runners included.
        inputs["control_plane_endpoints_config"] = {"dns_endpoint_config": {"allow_external_traffic": True}}
    if settings.master_authorized_networks or settings.control_plane_access == "dns":
        # Always sent with DNS access: an empty list then closes the IP endpoint to the internet.
        inputs["master_authorized_networks_config"] = {
            "cidr_blocks": [
                {"cidr_block": n.cidr_block, "display_name": n.display_name}
                for n in settings.master_authorized_networks
            ]
        }
    return inputs


def system_pool_inputs(
    settings: ClusterSettings,
    cluster: pulumi.Input[str],
    location: pulumi.Input[str],
    service_account: pulumi.Input[str],
) -> dict[str, Any]:
    pool = settings.system_node_pool
    return {
        "name": pool.name,
        "cluster": cluster,
        "location": location,
        "project": settings.project,
        # One node per zone to start, so add-ons have somewhere to run before the autoscaler acts;
        # ignored after creation (a changed initial count would otherwise replace the pool).
        "initial_node_count": 1,
        "autoscaling": {
            "total_min_node_count": pool.total_min_node_count,
            "total_max_node_count": pool.total_max_node_count,
            "location_policy": "BALANCED",
        },
        "management": {"auto_repair": True, "auto_upgrade": True},
        "node_config": hardened_node_config(
            pool.machine_type,
            pool.disk_size_gb,
            pool.disk_type,
            service_account,
            {"mlops.platform/node-role": "system"},
        ),
    }


@dataclass(frozen=True)
class GkeClusterArgs:
    settings: ClusterSettings  # mode gke or gke-existing
    gpu_node_pools: tuple[GpuNodePoolSettings, ...]
    production: bool  # protect the cluster and its node pools: the engine refuses to delete or replace them
    # The pools as last deployed (the stack's `gpuNodePools` output: camelCase dicts), for replacement
    # warnings on the preview; None on a first deployment.
    previous_gpu_node_pools: pulumi.Input[list | None] = None
    batch_node_pool: BatchNodePoolSettings | None = None  # the spot pool of the catalogue's batch jobs


class GkeCluster(pulumi.ComponentResource):
    name: pulumi.Output[str]
    location: pulumi.Output[str]
    project: str
    endpoint: pulumi.Output[str]
    ca_certificate: pulumi.Output[str]
    workload_pool: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    kube_provider: k8s.Provider
    node_service_account_email: pulumi.Output[str]
    gpu_node_pools: tuple[GpuNodePool, ...]
    pool_facts: tuple[PoolFacts, ...]
    batch_node_pool: BatchNodePool | None

    def __init__(self, name: str, args: GkeClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:infra:GkeCluster", name, None, opts)
        settings = args.settings
        if settings.mode not in ("gke", "gke-existing"):
            raise ValueError(f"GkeCluster needs cluster mode gke or gke-existing, not {settings.mode!r}")
        gke = settings.gke_identity
        self.project = gke.project
        protected = pulumi.ResourceOptions(parent=self, protect=args.production, delete_before_replace=True)

        node_sa, node_sa_roles = self._node_service_account(name, settings)
        self.node_service_account_email = node_sa.email
        system_pool = None
        if settings.mode == "gke":
            cluster = gcp.container.Cluster(f"{name}-cluster", **cluster_inputs(settings), opts=protected)
            self.name, self.location, self.endpoint = cluster.name, cluster.location, cluster.endpoint
            self.ca_certificate = cluster.master_auth.cluster_ca_certificate
            dns_endpoint = cluster.control_plane_endpoints_config.apply(dns_endpoint_of)
            self.workload_pool = cluster.workload_identity_config.workload_pool
            system_pool = gcp.container.NodePool(
                f"{name}-system-pool",
                **system_pool_inputs(settings, cluster.name, cluster.location, node_sa.email),
                opts=pulumi.ResourceOptions.merge(
                    protected, pulumi.ResourceOptions(depends_on=node_sa_roles, ignore_changes=["initialNodeCount"])
                ),
            )
        else:
            found = gcp.container.get_cluster_output(
                name=settings.name,
                location=settings.location,
                project=settings.project,
                opts=pulumi.InvokeOutputOptions(parent=self),
            )
            self.name, self.location, self.endpoint = found.name, found.location, found.endpoint
            self.ca_certificate = found.master_auths.apply(lambda auths: auths[0].cluster_ca_certificate)
            dns_endpoint = found.control_plane_endpoints_configs.apply(
                lambda configs: dns_endpoint_of(configs[0] if configs else None)
            )
            self.workload_pool = found.workload_identity_configs.apply(
                lambda configs: _adopted_workload_pool(settings, configs)
            )

        previous = pulumi.Output.from_input(args.previous_gpu_node_pools)
        self.gpu_node_pools = tuple(
            GpuNodePool(
                f"{name}-{pool.name}",
                GpuNodePoolArgs(
                    pool=pool,
                    cluster=self.name,
                    location=self.location,
                    project=gke.project,
                    node_service_account=node_sa.email,
                    production=args.production,
                    previous=previous.apply(partial(_named, name=pool.name)),
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=node_sa_roles),
            )
            for pool in args.gpu_node_pools
        )
        self.pool_facts = tuple(pool.facts for pool in self.gpu_node_pools)
        self.batch_node_pool = (
            BatchNodePool(
                f"{name}-{args.batch_node_pool.name}",
                BatchNodePoolArgs(
                    pool=args.batch_node_pool,
                    cluster=self.name,
                    location=self.location,
                    project=gke.project,
                    node_service_account=node_sa.email,
                    production=args.production,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=node_sa_roles),
            )
            if args.batch_node_pool
            else None
        )

        context = kubeconfig_context_name(gke.project, gke.location, gke.name)
        if settings.control_plane_access == "dns":
            self.kubeconfig = dns_endpoint.apply(lambda endpoint: build_kubeconfig(context, endpoint, None))
        else:
            self.kubeconfig = pulumi.Output.all(self.endpoint, self.ca_certificate).apply(
                lambda values: build_kubeconfig(context, values[0], values[1])
            )
        # Kubernetes objects wait for a node pool to exist, not only for the control plane.
        self.kube_provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            # Explicit, so PULUMI_K8S_ENABLE_SERVER_SIDE_APPLY cannot turn it off: CRDs too large for a
            # last-applied annotation (Argo CD's, kube-prometheus-stack's) need server-side apply.
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[system_pool] if system_pool else []),
        )
        self.register_outputs(
            {
                "name": self.name,
                "location": self.location,
                "endpoint": self.endpoint,
                "workloadPool": self.workload_pool,
                "nodeServiceAccount": self.node_service_account_email,
            }
        )

    def _node_service_account(self, name: str, settings: ClusterSettings):
        account = gcp.serviceaccount.Account(
            f"{name}-node-sa",
            project=settings.project,
            account_id=service_account_id(settings.gke_identity.name, "nodes"),
            display_name=f"GKE nodes of {settings.name}",
            description="Least-privilege identity of the cluster's nodes: logs, metrics, image pulls.",
            opts=pulumi.ResourceOptions(parent=self),
        )
        member = account.email.apply(lambda email: f"serviceAccount:{email}")
        roles = [
            gcp.projects.IAMMember(
                f"{name}-node-sa-{role.split('/')[1].replace('.', '-').lower()}",
                project=settings.project,
                role=role,
                member=member,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for role in NODE_SERVICE_ACCOUNT_ROLES
        ]
        return account, roles


def _named(pools: list | None, name: str) -> dict:
    """The pool `name` as last deployed; {} when it is new (or nothing was deployed)."""
    return next((p for p in pools or [] if isinstance(p, dict) and p.get("name") == name), {})


def _adopted_workload_pool(settings: ClusterSettings, configs) -> str:
    pool = configs[0].workload_pool if configs else None
    if not pool:
        raise ValueError(
            f"cluster {settings.name} in {settings.location} has Workload Identity disabled; models cannot get "
            f"their identities (fix: gcloud container clusters update {settings.name} --location {settings.location} "
            f"--workload-pool={settings.workload_pool})"
        )
    return pool
