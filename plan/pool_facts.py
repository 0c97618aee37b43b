"""What pods can rely on about the nodes of a pool (a GPU pool, the batch pool): its labels and taints,
from its settings.

Pure, so placement (plan.serving, plan.batch) and the node pool components (components.cluster) share
one answer: a pod placed by this plan tolerates exactly the taints the pool is created with.
"""

from __future__ import annotations

from facts.gpu_machine_types import gpus_per_node
from plan.gpu_placement import PoolFacts, Taint
from plan.serving_plan import Placement
from settings.batch_node_pool import BATCH_ROLE, NODE_ROLE_KEY, BatchNodePoolSettings
from settings.gpu_node_pools import GPU_TAINT_KEY, SPOT_TAINT_KEY, GpuNodePoolSettings

# GKE docs "Run GPUs in Standard node pools": GPU nodes carry this taint; GKE adds it only when the
# cluster also has non-GPU pools at that moment (terraform-google-kubernetes-engine#703), so we set it.
GPU_TAINT = Taint(GPU_TAINT_KEY, "present", "NoSchedule")
# GKE docs "Spot VMs": GKE labels spot nodes but does not taint them; this taint keeps pods that
# did not opt in to spot off those nodes (the source documents' Kyverno policy tolerates it).
SPOT_TAINT = Taint(SPOT_TAINT_KEY, "true", "NoSchedule")
# The batch pool's own taint: only batch pods tolerate it, so serving pods (which may tolerate the spot
# taint to use spot GPU pools outside prod) never land on a CPU node GKE may reclaim at any time.
BATCH_TAINT = Taint(NODE_ROLE_KEY, BATCH_ROLE, "NoSchedule")
# Node labels GKE sets from the pool's config (GKE docs: GPUs, Spot VMs, time-sharing, MPS, MIG).
_SHARING_LABEL_VALUE = {"TIME_SHARING": "time-sharing", "MPS": "mps"}


def pool_taints(pool: GpuNodePoolSettings) -> tuple[Taint, ...]:
    extra = tuple(Taint(t.key, t.value, t.effect) for t in pool.taints)
    return (GPU_TAINT, *((SPOT_TAINT,) if pool.spot else ()), *extra)


def pool_scheduling_facts(pool: GpuNodePoolSettings) -> PoolFacts:
    acc = pool.accelerator
    labels = {
        "cloud.google.com/gke-nodepool": pool.name,
        "cloud.google.com/gke-accelerator": acc.type,
    }
    if pool.spot:
        labels["cloud.google.com/gke-spot"] = "true"
    if acc.sharing:
        labels["cloud.google.com/gke-gpu-sharing-strategy"] = _SHARING_LABEL_VALUE[acc.sharing.strategy]
        labels["cloud.google.com/gke-max-shared-clients-per-gpu"] = str(acc.sharing.max_shared_clients_per_gpu)
    if acc.mig_partition_size:
        labels["cloud.google.com/gke-gpu-partition-size"] = acc.mig_partition_size
    return PoolFacts(
        name=pool.name,
        accelerator=acc.type,
        gpus_per_node=gpus_per_node(acc.type, pool.machine_type, acc.count),
        spot=pool.spot,
        sharing_strategy=acc.sharing.strategy if acc.sharing else None,
        max_shared_clients_per_gpu=acc.sharing.max_shared_clients_per_gpu if acc.sharing else None,
        mig_partition_size=acc.mig_partition_size,
        queued_provisioning=pool.queued_provisioning,
        labels=labels,
        taints=pool_taints(pool),
    )


def batch_pool_labels(pool: BatchNodePoolSettings) -> dict[str, str]:
    """The labels the batch pool's nodes carry: the one the platform sets, and those GKE sets itself."""
    return {NODE_ROLE_KEY: BATCH_ROLE, "cloud.google.com/gke-nodepool": pool.name, "cloud.google.com/gke-spot": "true"}


def batch_pool_taints() -> tuple[Taint, ...]:
    return (SPOT_TAINT, BATCH_TAINT)


def batch_placement() -> Placement:
    """Where a batch job's pods run on a GKE stack: the batch pool's nodes, by its role and spot labels
    (the cost policy's batch-on-spot rule reads the spot one), tolerating both of its taints."""
    return Placement(
        node_selector={SPOT_TAINT_KEY: "true", NODE_ROLE_KEY: BATCH_ROLE},
        tolerations=tuple(t.toleration() for t in batch_pool_taints()),
    )
