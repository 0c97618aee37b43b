"""Typed stack settings for the spot CPU node pool batch jobs run on (`batchNodePool:`), and its checks.

The cost policy asks batch compute on spot: the catalogue's `batch` jobs select spot nodes and
tolerate the spot taint (plan/batch.py). The system pool is on-demand and the GPU pools carry the GPU
taint, so without this pool those pods never schedule; plan/batch.py refuses such a stack.

The pool is always spot and always carries a taint only batch pods tolerate (plan/pool_facts.py), so
no serving pod lands on a node GKE may reclaim with 30 seconds' notice. It autoscales from zero by
default: idle, it costs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import Field, field_validator

from core.problems import Invalid
from core.spec import Located, Spec, located
from facts.cpu_machines import CPU_MACHINES
from settings.cluster import MAX_DISK_GB, ZONE, ClusterSettings, PoolName
from settings.gpu_node_pools import GpuNodePoolSettings, PoolAutoscaling

BATCH_POOL_KEY = "batchNodePool"
# The node label and taint the platform gives the pool; the system pool has node-role: system.
NODE_ROLE_KEY = "mlops.platform/node-role"
BATCH_ROLE = "batch"


class BatchNodePoolSettings(Spec):
    name: PoolName = "batch-spot"
    machine_type: str = Field("e2-standard-4", description="A CPU machine type of facts/cpu_machines.py.")
    autoscaling: PoolAutoscaling
    node_locations: tuple[str, ...] = Field((), description="Zones of the pool; empty means the cluster's zones.")
    disk_size_gb: int = Field(100, ge=10, le=MAX_DISK_GB, description="The serving image and the model download.")
    disk_type: Literal["pd-balanced", "pd-ssd", "pd-standard"] = "pd-balanced"

    @field_validator("machine_type")
    @classmethod
    def _known_machine(cls, value: str) -> str:
        if value not in CPU_MACHINES:
            raise Invalid(
                f"{value!r} is not a CPU machine type this platform knows the size of",
                f"use one of {', '.join(CPU_MACHINES)} (or add a row to facts/cpu_machines.py with its source)",
            )
        return value


def batch_node_pool_problems(
    cluster: ClusterSettings, gpu_pools: Sequence[GpuNodePoolSettings], pool: BatchNodePoolSettings | None
) -> list[Located]:
    if pool is None:
        return []
    if cluster.mode == "kubeconfig":
        return [
            located(
                (BATCH_POOL_KEY,),
                "the batch node pool is created in a GKE cluster, but cluster.mode is kubeconfig",
                "set cluster.mode to gke or gke-existing, or remove batchNodePool",
            )
        ]
    problems = []
    taken = {p.name: f"gpuNodePools[{i}]" for i, p in enumerate(gpu_pools)}
    if cluster.mode == "gke":
        taken[cluster.system_node_pool.name] = "the system node pool"
    if pool.name in taken:
        problems.append(
            located(
                (BATCH_POOL_KEY, "name"),
                f"pool name '{pool.name}' is already used by {taken[pool.name]}",
                "rename it (the default is batch-spot)",
            )
        )
    for j, zone in enumerate(pool.node_locations):
        zone_match = ZONE.match(zone)
        if not zone_match or zone_match["region"] != cluster.region:
            problems.append(
                located(
                    (BATCH_POOL_KEY, "nodeLocations", j),
                    f"{zone!r} is not a zone of the cluster's region {cluster.region}",
                    f"use zones like {cluster.region}-a",
                )
            )
    return problems
