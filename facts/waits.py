"""How long the engine may wait for the resources whose waits are known to be long, and why.

Pulumi's default waits are shorter than what these resources really take: pulumi-kubernetes waits 10
minutes for a Deployment to become available [PK-AWAIT], pulumi-gcp's NodePool 30 minutes per
create/update/delete [TF-NP]. A first GPU model on a pool at 0 nodes needs a node (scale-up, boot, GPU
driver install), the server image (vLLM's and Triton's are many GB), the model download, and the
server's own start-up; a node-pool update rolls every node, `maxSurge` at a time. Each wait is derived
from the facts below, each with its source or marked an ALLOWANCE (a deliberate upper bound, not a
measurement); change the fact, not the total.

Helm charts (components/addons/helm.py) get none: their objects run on the system pool, which exists
before any of them (the Kubernetes provider depends on it), and pull sub-GB images; no add-on has a wait
known to exceed the 10-minute default, and a timeout without a reason would only hide a stuck chart.

Sources:
  [PK-AWAIT] pulumi-kubernetes "Resource readiness": Deployments wait for the rollout, 10 min by default;
             `customTimeouts` overrides it (pulumi.com/registry/packages/kubernetes/#resource-readiness)
  [TF-NP]    terraform-provider-google container_node_pool "Timeouts": create/update/delete 30 min
  [GKE-GPU]  GKE "Run GPUs in Standard node pools": the driver installer DaemonSet runs when the node
             starts; nodes take several minutes to become schedulable after the autoscaler adds them
  [IMG]      compressed sizes of the pinned images as their registries list them, rounded up (vLLM
             v0.20.2-cu129 about 9 GB, Triton 25.10-py3 about 10 GB, our MLServer image under 1 GB)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from facts.runtimes import MLSERVER, TRITON, VLLM, RuntimePreset

# A GPU node from the autoscaler's decision to schedulable, driver installed [GKE-GPU]: ALLOWANCE.
GPU_NODE_SCALE_UP_SECONDS = 15 * 60
# Replacing one node during a surge upgrade: create, drain (the PDB's pace), delete [GKE-GPU]: ALLOWANCE.
NODE_REPLACE_SECONDS = 12 * 60
# The NodePool API call itself, before any node exists [TF-NP]: ALLOWANCE.
NODE_POOL_API_SECONDS = 10 * 60
# The providers' own defaults [PK-AWAIT] [TF-NP]: a derived wait never goes below them.
DEPLOYMENT_DEFAULT_SECONDS = 10 * 60
NODE_POOL_DEFAULT_SECONDS = 30 * 60
# Pull and extract throughput on a fresh node, conservative for pd-balanced boot disks: ALLOWANCE.
PULL_MB_PER_SECOND = 40


@dataclass(frozen=True)
class ImageFacts:
    runtime: RuntimePreset
    compressed_gb: float  # [IMG]
    download_seconds: int  # the init container's `mlflow artifacts download` of the weights: ALLOWANCE

    @property
    def pull_seconds(self) -> int:
        return math.ceil(self.compressed_gb * 1024 / PULL_MB_PER_SECOND)

    @property
    def startup_seconds(self) -> int:
        """The start-up probe's own allowance (facts/runtimes.py), after which the kubelet restarts it."""
        return self.runtime.startup.period_seconds * self.runtime.startup.failure_threshold


IMAGE_FACTS: dict[str, ImageFacts] = {
    facts.runtime.name: facts
    for facts in (
        ImageFacts(MLSERVER, compressed_gb=1.0, download_seconds=5 * 60),
        ImageFacts(TRITON, compressed_gb=10.0, download_seconds=20 * 60),
        ImageFacts(VLLM, compressed_gb=9.0, download_seconds=30 * 60),  # LLM weights: tens of GB
    )
}


@dataclass(frozen=True)
class Timeouts:
    """What pulumi.CustomTimeouts takes: durations like "45m"."""

    create: int  # seconds
    update: int
    delete: int | None = None

    @staticmethod
    def text(seconds: int) -> str:
        return f"{math.ceil(seconds / 60)}m"

    def as_strings(self) -> dict[str, str]:
        out = {"create": self.text(self.create), "update": self.text(self.update)}
        if self.delete is not None:
            out["delete"] = self.text(self.delete)
        return out


def deployment_timeouts(runtime: str) -> Timeouts:
    """A model's Deployment: a node (GPU runtimes scale their pool from 0), the pull, the download, the start-up.
    Updates need the same: a new version may land on a new node, and the download is per version."""
    facts = IMAGE_FACTS[runtime]
    node = GPU_NODE_SCALE_UP_SECONDS if facts.runtime.gpu else 0
    total = max(DEPLOYMENT_DEFAULT_SECONDS, node + facts.pull_seconds + facts.download_seconds + facts.startup_seconds)
    return Timeouts(create=total, update=total)


def gpu_node_pool_timeouts(min_nodes: int, max_nodes: int, max_surge: int) -> Timeouts:
    """Create: the API call plus the first nodes (all booted in parallel) when the pool starts above 0.
    Update: a node-config change rolls every node, `max_surge` at a time. Delete: nodes drain in parallel."""
    create = NODE_POOL_API_SECONDS + (GPU_NODE_SCALE_UP_SECONDS if min_nodes > 0 else 0)
    rounds = math.ceil(max_nodes / max(1, max_surge))
    update = NODE_POOL_API_SECONDS + rounds * NODE_REPLACE_SECONDS
    delete = NODE_POOL_API_SECONDS + NODE_REPLACE_SECONDS
    floor = NODE_POOL_DEFAULT_SECONDS
    return Timeouts(create=max(floor, create), update=max(floor, update), delete=max(floor, delete))
