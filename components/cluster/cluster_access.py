"""ClusterAccess: the cluster the serving stacks run on, and the Kubernetes provider they use.

`kubeconfig` targets an existing context (the cloud-free local stack); `gke` creates the cluster and
its node pools and `gke-existing` adopts one by name (GkeCluster). Both GKE modes build the provider
from the cluster's own outputs, so nothing is configured by hand between GCP and Kubernetes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.cluster.gke_cluster import GkeCluster, GkeClusterArgs
from settings.batch_node_pool import BatchNodePoolSettings
from settings.cluster import ClusterSettings
from settings.gpu_node_pools import GpuNodePoolSettings

GPU_POOLS_OUTPUT = "gpuNodePools"  # stack output: the pools as deployed, read back by the next preview


def gpu_pools_output(pools: tuple[GpuNodePoolSettings, ...]) -> list[dict]:
    return [pool.model_dump(mode="json", by_alias=True) for pool in pools]


@dataclass(frozen=True)
class ClusterAccessArgs:
    cluster: ClusterSettings
    gpu_node_pools: tuple[GpuNodePoolSettings, ...] = ()
    production: bool = False  # protect the cluster and its pools
    batch_node_pool: BatchNodePoolSettings | None = None  # gke modes: the spot pool batch jobs run on
    # Fully qualified name of this very stack ("org/project/stack"): its last deployed outputs say how the
    # GPU pools were configured, so the preview can call out a change that replaces a pool.
    last_deployment: str | None = None


class ClusterAccess(pulumi.ComponentResource):
    kube_provider: k8s.Provider
    gke: GkeCluster | None  # None on a kubeconfig stack

    def __init__(self, name: str, args: ClusterAccessArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:infra:ClusterAccess", name, None, opts)
        cluster = args.cluster
        if cluster.mode == "kubeconfig":
            self.gke = None
            self.kube_provider = k8s.Provider(
                f"{name}-kubernetes",
                kubeconfig=cluster.kubeconfig or None,
                context=cluster.context or None,
                enable_server_side_apply=True,  # see GkeCluster's provider: large CRDs need it
                opts=pulumi.ResourceOptions(parent=self),
            )
        else:
            previous = None
            if args.last_deployment:
                reference = pulumi.StackReference(
                    f"{name}-last-deployment", stack_name=args.last_deployment, opts=pulumi.ResourceOptions(parent=self)
                )
                previous = reference.get_output(GPU_POOLS_OUTPUT)
            self.gke = GkeCluster(
                f"{name}-gke",
                GkeClusterArgs(
                    settings=cluster,
                    gpu_node_pools=args.gpu_node_pools,
                    production=args.production,
                    previous_gpu_node_pools=previous,
                    batch_node_pool=args.batch_node_pool,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.kube_provider = self.gke.kube_provider
        self.register_outputs({})
