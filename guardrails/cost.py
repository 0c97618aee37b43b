"""The GPU ceiling of a stack: the most GPUs it can ever run, and what that costs a month at list price.

Ceiling = sum over GPU node pools of (most nodes the autoscaler may create x GPUs per node), plus,
for every Canary, the GPUs of the canary's own pods: during an analysis Flagger runs the canary
Deployment beside `<name>-primary`, each scaled by its own autoscaler up to maxReplicas.
Read from the resources' wire inputs, so every gate computes the same figure.

Spot CPU pools (the batch pool, settings/batch_node_pool.py) hold no GPUs: they add nothing to the
ceiling or the budget, and are listed beside it with their own spot VM price (facts/cpu_machines.py),
so the figure stays what its name says and the batch pool's cost is still in view.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from facts.cpu_machines import cpu_machine
from facts.gpu_machine_types import gpus_per_node
from facts.gpu_prices import HOURS_PER_MONTH, PRICES_AS_OF, gpu_price
from guardrails.k8s_checks import ACCELERATOR_LABEL, gpus
from guardrails.rule import GuardContext, Rule
from guardrails.rules_capacity import NODE_POOL
from guardrails.subject import Subject, dig
from guardrails.violation import Finding
from settings.stack import StackSettings

_ZONE = re.compile(r"^(?P<region>[a-z]+-[a-z]+\d+)-[a-z]$")
_POOL_LABEL = "cloud.google.com/gke-nodepool"


@dataclass(frozen=True)
class GpuLine:
    """GPUs of one pool, or of one canary's extra pods, and their price."""

    what: str  # "pool l4" or "canary ml-support-assistant/support-assistant"
    accelerator: str
    units: int  # nodes (pool) or pods (canary)
    gpus_per_unit: int
    spot: bool
    region: str

    @property
    def gpus(self) -> int:
        return self.units * self.gpus_per_unit

    @property
    def monthly_usd(self) -> float | None:
        price = gpu_price(self.accelerator, self.region)
        hourly = price.hourly(self.spot) if price else None
        return None if hourly is None else hourly * self.gpus * HOURS_PER_MONTH

    def describe(self) -> str:
        capacity = "spot" if self.spot else "on-demand"
        unit = "nodes" if self.what.startswith("pool") else "pods"
        return f"{self.what}: {self.units} {unit} x {self.gpus_per_unit} {self.accelerator} ({capacity}, {self.region})"


@dataclass(frozen=True)
class SpotCpuLine:
    """A spot pool without GPUs (the batch pool) at its most nodes, and its VM price."""

    what: str  # "pool batch-spot"
    machine: str
    nodes: int

    @property
    def monthly_usd(self) -> float | None:
        machine = cpu_machine(self.machine)
        hourly = machine.spot_hourly() if machine else None
        return None if hourly is None else hourly * self.nodes * HOURS_PER_MONTH

    def describe(self) -> str:
        cost = self.monthly_usd
        shown = (
            f"at most ${cost:,.0f}/month (spot VM price, facts/cpu_machines.py)"
            if cost is not None
            else "price unknown"
        )
        return f"{self.what}: {self.nodes} nodes x {self.machine} (spot, no GPUs: not in the GPU ceiling), {shown}"


@dataclass(frozen=True)
class GpuCeiling:
    lines: tuple[GpuLine, ...]
    cpu_pools: tuple[SpotCpuLine, ...] = ()  # beside the ceiling, never in it

    @property
    def total_gpus(self) -> int:
        return sum(line.gpus for line in self.lines)

    @property
    def monthly_usd(self) -> float | None:
        """None when any line has no price in facts/gpu_prices.py."""
        costs = [line.monthly_usd for line in self.lines]
        return None if any(c is None for c in costs) else sum(c for c in costs if c is not None)

    def summary(self, budget: int | None) -> list[str]:
        of = f" of a budget of {budget}" if budget is not None else " (no gpuBudget set)"
        lines = [f"GPU ceiling: {self.total_gpus} GPUs{of}"]
        for line in self.lines:
            cost = line.monthly_usd
            shown = f"${cost:,.0f}/month" if cost is not None else "price unknown"
            lines.append(f"  {line.describe()} = {line.gpus} GPUs, {shown}")
        if self.lines:
            total = self.monthly_usd
            shown = f"at most ${total:,.0f}/month" if total is not None else "unknown (a price is missing)"
            lines.append(f"  monthly GPU cost ceiling: {shown} (GPU list prices only, {PRICES_AS_OF})")
        lines += [f"  {pool.describe()}" for pool in self.cpu_pools]
        return lines


def _region(location: str) -> str:
    zone = _ZONE.match(location)
    return zone["region"] if zone else location


def _number(value: object, default: int = 0) -> int:
    try:
        return int(float(str(value)))
    except ValueError:
        return default


def pool_line(
    name: str, accelerator: str, machine: str, count: int, max_nodes: int, spot: bool, location: str
) -> GpuLine:
    return GpuLine(
        what=f"pool {name}",
        accelerator=accelerator,
        units=max_nodes,
        gpus_per_unit=gpus_per_node(accelerator, machine, count),
        spot=spot,
        region=_region(location),
    )


def pools_ceiling(settings: StackSettings) -> GpuCeiling:
    """The pools' part of the ceiling straight from the settings, for the preview's log line (the
    canaries' pods are counted from the resources, by the render and the pack)."""
    return GpuCeiling(
        tuple(
            pool_line(
                p.name,
                p.accelerator.type,
                p.machine_type,
                p.accelerator.count,
                p.autoscaling.total_max_node_count,
                p.spot,
                settings.cluster.location or "",
            )
            for p in settings.gpu_node_pools
        ),
        tuple(
            SpotCpuLine(f"pool {p.name}", p.machine_type, p.autoscaling.total_max_node_count)
            for p in (settings.batch_node_pool,)
            if p is not None
        ),
    )


def _pool_line(pool: Subject) -> GpuLine | None:
    config = pool.plain.get("nodeConfig") or {}
    accelerators = config.get("guestAccelerators") or []
    if not accelerators:
        return None
    accelerator = str(accelerators[0].get("type", ""))
    count = _number(accelerators[0].get("count"), 1)
    scaling = pool.plain.get("autoscaling") or {}
    zones = len(pool.plain.get("nodeLocations") or []) or 1
    if scaling.get("totalMaxNodeCount") is not None:
        nodes = _number(scaling["totalMaxNodeCount"])
    elif scaling.get("maxNodeCount") is not None:  # per zone
        nodes = _number(scaling["maxNodeCount"]) * zones
    else:
        nodes = _number(pool.plain.get("nodeCount", pool.plain.get("initialNodeCount", 0))) * zones
    return pool_line(
        str(pool.plain.get("name") or pool.name),
        accelerator,
        str(config.get("machineType", "")),
        count,
        nodes,
        config.get("spot") is True,
        str(pool.plain.get("location", "")),
    )


def _spot_cpu_line(pool: Subject) -> SpotCpuLine | None:
    config = pool.plain.get("nodeConfig") or {}
    if config.get("guestAccelerators") or config.get("spot") is not True:
        return None
    scaling = pool.plain.get("autoscaling") or {}
    return SpotCpuLine(
        f"pool {pool.plain.get('name') or pool.name}",
        str(config.get("machineType", "")),
        _number(scaling.get("totalMaxNodeCount", 0)),
    )


def _canary_line(
    canary: Subject,
    subjects: Sequence[Subject],
    pools: Sequence[GpuLine],
    deployments: dict[tuple[str, str], Subject],
) -> GpuLine | None:
    target = str(dig(canary.plain, "spec", "targetRef", "name") or "")
    deployment = deployments.get((canary.namespace, target))
    if deployment is None:
        return None
    per_pod = sum(gpus(c) for c in deployment.containers(include_init=False))
    if not per_pod:
        return None
    pods = 1
    for scaler in subjects:
        ref = dig(scaler.plain, "spec", "scaleTargetRef") or {}
        if scaler.namespace == canary.namespace and ref.get("name") == target:
            if scaler.kind == "HorizontalPodAutoscaler":
                pods = _number(dig(scaler.plain, "spec", "maxReplicas"), 1)
            elif scaler.kind == "ScaledObject":
                pods = _number(dig(scaler.plain, "spec", "maxReplicaCount"), 100)  # KEDA's default
    selector = (deployment.pod_spec or {}).get("nodeSelector") or {}
    accelerator = str(selector.get(ACCELERATOR_LABEL, ""))
    pool = next((p for p in pools if p.what == f"pool {selector.get(_POOL_LABEL)}"), None) or next(
        (p for p in pools if p.accelerator == accelerator), None
    )
    return GpuLine(
        what=f"canary {canary.namespace}/{target}",
        accelerator=accelerator or (pool.accelerator if pool else "unknown"),
        units=pods,
        gpus_per_unit=per_pod,
        spot=pool.spot if pool else False,
        region=pool.region if pool else "unknown",
    )


def gpu_ceiling(subjects: Sequence[Subject]) -> GpuCeiling:
    pools = [line for s in subjects if s.type == NODE_POOL if (line := _pool_line(s)) is not None]
    # Deployments by namespace and name, the first of each as a scan would find it: one scan per Canary was
    # quadratic in the catalogue.
    deployments: dict[tuple[str, str], Subject] = {}
    for s in subjects:
        if s.kind == "Deployment":
            deployments.setdefault((s.namespace, s.k8s_name), s)
    canaries = [
        line
        for s in subjects
        if s.kind == "Canary"
        if (line := _canary_line(s, subjects, pools, deployments)) is not None
    ]
    cpu_pools = tuple(cpu for s in subjects if s.type == NODE_POOL if (cpu := _spot_cpu_line(s)) is not None)
    return GpuCeiling(tuple(pools + canaries), cpu_pools)


def _budget(subjects: Sequence[Subject], context: GuardContext) -> list[Finding]:
    ceiling = gpu_ceiling(subjects)
    if not ceiling.total_gpus:
        return []
    if context.gpu_budget is None:
        return [
            Finding(
                "stack",
                f"the stack can run up to {ceiling.total_gpus} GPUs and declares no GPU budget",
                f"set guardrails.gpuBudget (at least {ceiling.total_gpus}) in the stack file",
            )
        ]
    if ceiling.total_gpus > context.gpu_budget:
        return [
            Finding(
                "stack",
                f"the stack can run up to {ceiling.total_gpus} GPUs, over its budget of {context.gpu_budget} "
                f"({'; '.join(f'{line.what}: {line.gpus}' for line in ceiling.lines)})",
                "lower the pools' totalMaxNodeCount or a canary's maxReplicas, or raise guardrails.gpuBudget",
            )
        ]
    return []


GPU_BUDGET = Rule(
    "gpu-budget",
    "The most GPUs the stack can run (pools at max nodes, plus canary pods) stays within guardrails.gpuBudget.",
    stack_check=_budget,
)
