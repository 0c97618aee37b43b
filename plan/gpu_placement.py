"""Where a model's GPU pods run: pick the stack's node pool that fits the model's GPU request and
say how the pods get there (nodeSelector, tolerations, the nvidia.com/gpu limit). Pure.

Rules, in the order they are applied:
- Cost (the source documents' Kyverno policy `limit-gpu-resources`): at most 2 GPUs per container
  unless the model explicitly allows more.
- A container cannot span nodes: the pool's nodes must have at least as many GPUs as it asks for.
- Shared GPUs (time-sharing, MPS) only for models that accept them, and then 1 GPU per container
  (GKE hands out one shared slice per request); MIG pools only for models that name the partition.
- Queued-provisioning pools never serve: their nodes come only through ProvisioningRequests, so a
  Deployment's pods would wait forever.
- Spot: a model that says `spot: true` gets spot only if the environment allows spot; `spot: false`
  always gets on-demand; no preference gets on-demand when the stack has it, else spot where the
  environment allows it. Prod stacks are expected to pass environment_allows_spot=False, which makes
  prod serving on-demand no matter what a model asks for, and say so in an error.
- Among several fits: a shared pool first for models that accept sharing (cheapest), then the pool
  with the fewest GPUs per node (least idle GPU), then by name so the choice is stable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from core.problems import Finding

GPU_RESOURCE = "nvidia.com/gpu"
DEFAULT_MAX_GPUS_PER_CONTAINER = 2  # Kyverno limit-gpu-resources: nvidia.com/gpu "<=2"


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str  # Kubernetes spelling: NoSchedule, PreferNoSchedule, NoExecute

    def toleration(self) -> dict[str, str]:
        return {"key": self.key, "operator": "Equal", "value": self.value, "effect": self.effect}


@dataclass(frozen=True)
class PoolFacts:
    """What pods can rely on about the nodes of one GPU pool (built by gpu_node_pool.pool_scheduling_facts)."""

    name: str
    accelerator: str
    gpus_per_node: int
    spot: bool
    sharing_strategy: str | None  # TIME_SHARING or MPS
    max_shared_clients_per_gpu: int | None
    mig_partition_size: str | None
    queued_provisioning: bool
    labels: Mapping[str, str]  # node labels that identify the pool's nodes
    taints: tuple[Taint, ...]

    def describe(self) -> str:
        extras = ["spot" if self.spot else "on-demand"]
        if self.sharing_strategy:
            extras.append(f"{self.sharing_strategy} x{self.max_shared_clients_per_gpu}")
        if self.mig_partition_size:
            extras.append(f"MIG {self.mig_partition_size}")
        if self.queued_provisioning:
            extras.append("queued provisioning")
        return f"{self.name} ({self.gpus_per_node} x {self.accelerator}, {', '.join(extras)})"


@dataclass(frozen=True)
class GpuRequest:
    model: str
    accelerator: str
    gpus: int  # per container
    spot: bool | None = None  # None: no preference (see module rules)
    sharing_acceptable: bool = False  # a time-shared or MPS GPU is good enough
    mig_partition_size: str | None = None  # run on a MIG slice of this size instead of whole GPUs
    allow_more_than_max_gpus: bool = False  # explicit, justified exception to the cost rule


@dataclass(frozen=True)
class GpuPlacement:
    pool: str
    node_selector: dict[str, str]
    tolerations: tuple[dict[str, str], ...]
    limits: dict[str, str] = field(default_factory=dict)  # {"nvidia.com/gpu": "<n>"}


@dataclass(frozen=True)
class PlacementError:
    problems: tuple[Finding, ...]


def place_gpu_workload(
    request: GpuRequest,
    pools: Sequence[PoolFacts],
    stack: str,
    environment_allows_spot: bool,
    max_gpus_per_container: int = DEFAULT_MAX_GPUS_PER_CONTAINER,
) -> GpuPlacement | PlacementError:
    who = f"model '{request.model}' on stack '{stack}'"
    problems = _request_problems(request, who, environment_allows_spot, max_gpus_per_container)
    if problems:
        return PlacementError(tuple(problems))
    fitting = [p for p in pools if _fits(request, p)]
    on_demand = [p for p in fitting if not p.spot]
    spot = [p for p in fitting if p.spot] if environment_allows_spot else []
    if request.spot is True:
        candidates = spot
    elif request.spot is False:
        candidates = on_demand
    else:
        candidates = on_demand or spot
    if not candidates:
        return PlacementError((_no_pool_problem(request, pools, who, environment_allows_spot),))
    pool = min(
        candidates, key=lambda p: (not (request.sharing_acceptable and p.sharing_strategy), p.gpus_per_node, p.name)
    )
    return GpuPlacement(
        pool=pool.name,
        node_selector=dict(pool.labels),
        tolerations=tuple(t.toleration() for t in pool.taints),
        limits={GPU_RESOURCE: str(request.gpus)},
    )


def _request_problems(request: GpuRequest, who: str, spot_allowed: bool, max_gpus: int) -> list[Finding]:
    problems = []
    if request.gpus < 1:
        problems.append(Finding(f"{who} asks for {request.gpus} GPUs", "ask for at least 1, or drop the GPU request"))
    if request.gpus > max_gpus and not request.allow_more_than_max_gpus:
        problems.append(
            Finding(
                f"{who} asks for {request.gpus} GPUs per container; the cost policy allows at most {max_gpus}",
                f"lower it to {max_gpus}, or allow more explicitly with a business case",
            )
        )
    if request.gpus > 1 and (request.sharing_acceptable or request.mig_partition_size):
        problems.append(
            Finding(
                f"{who} asks for {request.gpus} shared or partitioned GPUs; GKE gives a container one slice",
                "ask for 1 GPU, or for whole GPUs without sharing",
            )
        )
    if request.spot is True and not spot_allowed:
        problems.append(
            Finding(
                f"{who} asks for spot GPUs, but the stack serves on on-demand GPUs only",
                "remove spot: true for this environment",
            )
        )
    return problems


def _fits(request: GpuRequest, pool: PoolFacts) -> bool:
    return (
        pool.accelerator == request.accelerator
        and not pool.queued_provisioning
        and pool.gpus_per_node >= request.gpus
        and pool.mig_partition_size == request.mig_partition_size
        and (pool.sharing_strategy is None or request.sharing_acceptable)
    )


def _no_pool_problem(request: GpuRequest, pools: Sequence[PoolFacts], who: str, spot_allowed: bool) -> Finding:
    wanted = f"{request.gpus} x {request.accelerator}"
    if request.mig_partition_size:
        wanted += f" as MIG {request.mig_partition_size}"
    wanted += {True: " on spot", False: " on-demand", None: " on-demand" + (" or spot" if spot_allowed else "")}[
        request.spot
    ]
    existing = "; ".join(p.describe() for p in pools) or "none"
    return Finding(
        f"{who}: no GPU node pool serves {wanted}; the stack's GPU pools: {existing}",
        "add a matching pool to the stack's gpuNodePools, or change the model's GPU request",
    )
