"""GPU rules: at most 2 GPUs per container; GPU workloads tolerate the GPU taint and select an accelerator."""

from __future__ import annotations

from guardrails.k8s_checks import (
    ACCELERATOR_LABEL,
    GPU_RESOURCE,
    GPU_TAINT_KEY,
    MAX_GPUS_PER_CONTAINER,
    gpus,
    selects_node_label,
    tolerates,
)
from guardrails.rule import GuardContext, Rule
from guardrails.subject import Subject
from guardrails.violation import Finding


def _gpu_limit(subject: Subject, context: GuardContext) -> list[Finding]:
    return [
        Finding(
            subject.label,
            f"container '{c.get('name')}' asks for {gpus(c)} GPUs; at most {MAX_GPUS_PER_CONTAINER} per container",
            f"lower resources.limits.{GPU_RESOURCE} to {MAX_GPUS_PER_CONTAINER} or less (shard across replicas), "
            "or override the rule for this stack with a reason",
        )
        for c in subject.containers()
        if gpus(c) > MAX_GPUS_PER_CONTAINER
    ]


def _gpu_scheduling(subject: Subject, context: GuardContext) -> list[Finding]:
    spec = subject.pod_spec
    if spec is None or not any(gpus(c) for c in subject.containers()):
        return []
    findings = []
    if not tolerates(spec, GPU_TAINT_KEY):
        findings.append(
            Finding(
                subject.label,
                f"asks for GPUs but does not tolerate the GPU node taint {GPU_TAINT_KEY}",
                f"add a toleration {{key: {GPU_TAINT_KEY}, operator: Exists, effect: NoSchedule}}",
            )
        )
    if not selects_node_label(spec, ACCELERATOR_LABEL):
        findings.append(
            Finding(
                subject.label,
                "asks for GPUs but does not select an accelerator type",
                f"add nodeSelector {ACCELERATOR_LABEL}: <accelerator> (e.g. nvidia-l4)",
            )
        )
    return findings


GPU_LIMIT = Rule(
    "gpu-limit-per-container",
    f"A container asks for at most {MAX_GPUS_PER_CONTAINER} GPUs (nvidia.com/gpu limit).",
    resource_check=_gpu_limit,
)
GPU_SCHEDULING = Rule(
    "gpu-scheduling",
    f"A workload that asks for GPUs tolerates the {GPU_TAINT_KEY} taint and selects a node by {ACCELERATOR_LABEL}.",
    resource_check=_gpu_scheduling,
)
