"""The spot CPU node pool batch jobs run on, built from its typed settings (settings/batch_node_pool.py).

Spot, tainted so that only batch pods (plan.pool_facts.batch_placement) tolerate it, and autoscaled
from zero by default. Protected in production like every pool of the cluster: a rename would delete
it and create it again, and in prod that is done on purpose or not at all. (A batch pod that loses
its node to a spot reclaim is retried for free: the Job ignores DisruptionTarget, manifests/batch.py.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_gcp as gcp

from components.cluster.gpu_node_pool import hardened_node_config
from plan.pool_facts import batch_pool_labels, batch_pool_taints
from settings.batch_node_pool import BATCH_ROLE, NODE_ROLE_KEY, BatchNodePoolSettings


def batch_pool_inputs(
    pool: BatchNodePoolSettings,
    cluster: pulumi.Input[str],
    location: pulumi.Input[str],
    project: str,
    service_account: pulumi.Input[str],
) -> dict[str, Any]:
    """Keyword arguments of gcp.container.NodePool for the batch pool. No initial node count: the pool
    starts empty and grows when a batch pod waits for a node."""
    node_config = hardened_node_config(
        pool.machine_type,
        pool.disk_size_gb,
        pool.disk_type,
        service_account,
        {NODE_ROLE_KEY: BATCH_ROLE},
        batch_pool_taints(),
    )
    node_config["spot"] = True
    inputs: dict[str, Any] = {
        "name": pool.name,
        "cluster": cluster,
        "location": location,
        "project": project,
        "autoscaling": {
            "total_min_node_count": pool.autoscaling.total_min_node_count,
            "total_max_node_count": pool.autoscaling.total_max_node_count,
            "location_policy": pool.autoscaling.location_policy,
        },
        "management": {"auto_repair": True, "auto_upgrade": True},
        "node_config": node_config,
    }
    if pool.node_locations:
        inputs["node_locations"] = list(pool.node_locations)
    return inputs


@dataclass(frozen=True)
class BatchNodePoolArgs:
    pool: BatchNodePoolSettings
    cluster: pulumi.Input[str]  # the cluster's name (or id)
    location: pulumi.Input[str]  # the cluster's location
    project: str
    node_service_account: pulumi.Input[str]  # email of the least-privilege node service account
    production: bool = False  # protect the pool: the engine then refuses to delete or replace it


class BatchNodePool(pulumi.ComponentResource):
    node_pool: gcp.container.NodePool
    name: pulumi.Output[str]
    labels: dict[str, str]  # what batch pods can select on its nodes (GKE's labels included)

    def __init__(self, name: str, args: BatchNodePoolArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:infra:BatchNodePool", name, None, opts)
        self.node_pool = gcp.container.NodePool(
            f"{name}-pool",
            **batch_pool_inputs(args.pool, args.cluster, args.location, args.project, args.node_service_account),
            opts=pulumi.ResourceOptions(parent=self, protect=args.production, delete_before_replace=True),
        )
        self.name = self.node_pool.name
        self.labels = batch_pool_labels(args.pool)
        self.register_outputs({"name": self.name, "machineType": args.pool.machine_type})
