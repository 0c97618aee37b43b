"""ClusterAccess: the cluster the serving stacks run on, and the Kubernetes provider they use.

`kubeconfig` targets an existing context (the cloud-free local stack); `gke` creates the cluster and
its node pools and `gke-existing` adopts one by name (GkeCluster). Both GKE modes build the provider
from the cluster's own outputs, so nothing is configured by hand between GCP and Kubernetes.
"""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.gke_cluster import GkeCluster, GkeClusterArgs
from settings.cluster import ClusterSettings, GpuNodePoolSettings


@dataclass(frozen=True)
class ClusterAccessArgs:
    cluster: ClusterSettings
    gpu_node_pools: tuple[GpuNodePoolSettings, ...] = ()
    production: bool = False  # protect the cluster and its pools


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
                opts=pulumi.ResourceOptions(parent=self),
            )
        else:
            self.gke = GkeCluster(
                f"{name}-gke",
                GkeClusterArgs(settings=cluster, gpu_node_pools=args.gpu_node_pools, production=args.production),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.kube_provider = self.gke.kube_provider
        self.register_outputs({})
