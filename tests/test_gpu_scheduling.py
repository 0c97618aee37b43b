"""Placing a model's GPU pods on the stack's pools: every rule and every error message."""

from __future__ import annotations

from plan.gpu_placement import GpuPlacement, GpuRequest, PlacementError, place_gpu_workload
from plan.pool_facts import pool_scheduling_facts
from settings.gpu_node_pools import GpuNodePoolSettings

GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
SPOT_TOLERATION = {"key": "cloud.google.com/gke-spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"}


def pool(name, machine="g2-standard-8", accelerator="nvidia-l4", count=1, **extra):
    return pool_scheduling_facts(
        GpuNodePoolSettings.model_validate(
            {
                "name": name,
                "machineType": machine,
                "accelerator": {"type": accelerator, "count": count, **extra.pop("acc", {})},
                "autoscaling": {"totalMaxNodeCount": 2},
                **extra,
            }
        )
    )


L4 = pool("l4")
L4_SPOT = pool("l4-spot", spot=True)
L4_X2 = pool("l4-x2", machine="g2-standard-24", count=2)
L4_SHARED = pool("l4-shared", acc={"sharing": {"strategy": "TIME_SHARING", "maxSharedClientsPerGpu": 4}})
T4 = pool("t4", machine="n1-standard-8", accelerator="nvidia-tesla-t4")
A100_MIG = pool(
    "a100-mig", machine="a2-highgpu-1g", accelerator="nvidia-tesla-a100", acc={"migPartitionSize": "3g.20gb"}
)
L4_QUEUED = pool(
    "l4-batch",
    queuedProvisioning=True,
    autoRepair=False,
    reservationAffinity={"consumeReservationType": "NO_RESERVATION"},
)


def place(request, pools, allow_spot=True, stack="dev"):
    """The placement, or its error with each finding rendered as the user reads it."""
    placed = place_gpu_workload(request, pools, stack, environment_allows_spot=allow_spot)
    if isinstance(placed, PlacementError):
        assert all(finding.fix for finding in placed.problems)  # every refusal says what to do
        return PlacementError(tuple(str(finding) for finding in placed.problems))  # type: ignore[arg-type]
    return placed


def test_a_placement_selects_the_pool_tolerates_its_taints_and_limits_the_gpus():
    placed = place(GpuRequest("churn", "nvidia-l4", 1, spot=True), [L4_SPOT, T4])
    assert placed == GpuPlacement(
        pool="l4-spot",
        node_selector={
            "cloud.google.com/gke-nodepool": "l4-spot",
            "cloud.google.com/gke-accelerator": "nvidia-l4",
            "cloud.google.com/gke-spot": "true",
        },
        tolerations=(GPU_TOLERATION, SPOT_TOLERATION),
        limits={"nvidia.com/gpu": "1"},
    )


def test_extra_pool_taints_are_tolerated_too():
    tainted = pool("l4-team", taints=[{"key": "team", "value": "nlp", "effect": "NoExecute"}])
    placed = place(GpuRequest("summarizer", "nvidia-l4", 1), [tainted])
    assert placed.tolerations == (
        GPU_TOLERATION,
        {"key": "team", "operator": "Equal", "value": "nlp", "effect": "NoExecute"},
    )


def test_cost_rule_allows_at_most_two_gpus_per_container_unless_explicitly_allowed():
    assert place(
        GpuRequest("llm", "nvidia-l4", 4), [pool("l4-x4", machine="g2-standard-48", count=4)]
    ) == PlacementError(
        (
            "model 'llm' on stack 'dev' asks for 4 GPUs per container; the cost policy allows at most 2 "
            "(fix: lower it to 2, or allow more explicitly with a business case)",
        )
    )
    allowed = place(
        GpuRequest("llm", "nvidia-l4", 4, allow_more_than_max_gpus=True),
        [pool("l4-x4", machine="g2-standard-48", count=4)],
    )
    assert allowed.limits == {"nvidia.com/gpu": "4"}
    assert place(GpuRequest("llm", "nvidia-l4", 2), [L4_X2]).pool == "l4-x2"


def test_zero_gpus_is_an_error():
    assert place(GpuRequest("m", "nvidia-l4", 0), [L4]) == PlacementError(
        ("model 'm' on stack 'dev' asks for 0 GPUs (fix: ask for at least 1, or drop the GPU request)",)
    )


def test_a_container_does_not_span_nodes():
    [problem] = place(GpuRequest("m", "nvidia-l4", 2), [L4]).problems
    assert problem.startswith("model 'm' on stack 'dev': no GPU node pool serves 2 x nvidia-l4 on-demand or spot;")
    assert place(GpuRequest("m", "nvidia-l4", 2), [L4, L4_X2]).pool == "l4-x2"


def test_fewest_gpus_per_node_wins_then_the_name():
    assert place(GpuRequest("m", "nvidia-l4", 1), [L4_X2, L4]).pool == "l4"
    assert place(GpuRequest("m", "nvidia-l4", 1), [pool("l4-b"), pool("l4-a")]).pool == "l4-a"


def test_shared_gpus_only_for_models_that_accept_them_and_then_preferred():
    assert place(GpuRequest("m", "nvidia-l4", 1), [L4_SHARED, L4]).pool == "l4"
    assert isinstance(place(GpuRequest("m", "nvidia-l4", 1), [L4_SHARED]), PlacementError)
    shared = place(GpuRequest("m", "nvidia-l4", 1, sharing_acceptable=True), [L4, L4_SHARED])
    assert shared.pool == "l4-shared"
    assert shared.node_selector["cloud.google.com/gke-gpu-sharing-strategy"] == "time-sharing"
    assert shared.node_selector["cloud.google.com/gke-max-shared-clients-per-gpu"] == "4"
    assert place(GpuRequest("m", "nvidia-l4", 1, sharing_acceptable=True), [L4]).pool == "l4"


def test_shared_or_partitioned_gpus_come_one_per_container():
    assert place(GpuRequest("m", "nvidia-l4", 2, sharing_acceptable=True), [L4_SHARED]) == PlacementError(
        (
            "model 'm' on stack 'dev' asks for 2 shared or partitioned GPUs; GKE gives a container one slice "
            "(fix: ask for 1 GPU, or for whole GPUs without sharing)",
        )
    )


def test_mig_pools_only_for_the_named_partition():
    a100 = pool("a100", machine="a2-highgpu-1g", accelerator="nvidia-tesla-a100")
    assert place(GpuRequest("m", "nvidia-tesla-a100", 1), [A100_MIG, a100]).pool == "a100"
    mig = place(GpuRequest("m", "nvidia-tesla-a100", 1, mig_partition_size="3g.20gb"), [a100, A100_MIG])
    assert mig.pool == "a100-mig" and mig.node_selector["cloud.google.com/gke-gpu-partition-size"] == "3g.20gb"
    [problem] = place(GpuRequest("m", "nvidia-tesla-a100", 1, mig_partition_size="1g.5gb"), [A100_MIG]).problems
    assert problem.startswith(
        "model 'm' on stack 'dev': no GPU node pool serves 1 x nvidia-tesla-a100 as MIG 1g.5gb on-demand or spot;"
    )


def test_queued_provisioning_pools_never_serve():
    assert place(GpuRequest("m", "nvidia-l4", 1), [L4_QUEUED]) == PlacementError(
        (
            "model 'm' on stack 'dev': no GPU node pool serves 1 x nvidia-l4 on-demand or spot; the stack's GPU pools: "
            "l4-batch (1 x nvidia-l4, on-demand, queued provisioning) "
            "(fix: add a matching pool to the stack's gpuNodePools, or change the model's GPU request)",
        )
    )


def test_spot_preferences():
    pools = [L4_SPOT, L4]
    assert place(GpuRequest("m", "nvidia-l4", 1, spot=True), pools).pool == "l4-spot"
    assert place(GpuRequest("m", "nvidia-l4", 1, spot=False), pools).pool == "l4"
    assert place(GpuRequest("m", "nvidia-l4", 1), pools).pool == "l4"  # no preference: on-demand first
    assert place(GpuRequest("m", "nvidia-l4", 1), [L4_SPOT]).pool == "l4-spot"  # ... else spot where allowed
    assert place(GpuRequest("m", "nvidia-l4", 1, spot=False), [L4_SPOT]) == PlacementError(
        (
            "model 'm' on stack 'dev': no GPU node pool serves 1 x nvidia-l4 on-demand; the stack's GPU pools: "
            "l4-spot (1 x nvidia-l4, spot) (fix: add a matching pool to the stack's gpuNodePools, or change the model's GPU request)",
        )
    )


def test_an_environment_without_spot_serves_on_demand_only():
    assert place(GpuRequest("fraud", "nvidia-l4", 1), [L4_SPOT, L4], allow_spot=False, stack="prod").pool == "l4"
    assert place(
        GpuRequest("fraud", "nvidia-l4", 1, spot=True), [L4_SPOT, L4], allow_spot=False, stack="prod"
    ) == PlacementError(
        (
            "model 'fraud' on stack 'prod' asks for spot GPUs, but the stack serves on on-demand GPUs only "
            "(fix: remove spot: true for this environment)",
        )
    )
    assert place(GpuRequest("fraud", "nvidia-l4", 1), [L4_SPOT], allow_spot=False, stack="prod") == PlacementError(
        (
            "model 'fraud' on stack 'prod': no GPU node pool serves 1 x nvidia-l4 on-demand; the stack's GPU pools: "
            "l4-spot (1 x nvidia-l4, spot) (fix: add a matching pool to the stack's gpuNodePools, or change the model's GPU request)",
        )
    )


def test_errors_name_every_pool_or_say_there_are_none():
    assert place(GpuRequest("m", "nvidia-h100-80gb", 1, spot=True), [L4_SHARED, A100_MIG]) == PlacementError(
        (
            "model 'm' on stack 'dev': no GPU node pool serves 1 x nvidia-h100-80gb on spot; the stack's GPU pools: "
            "l4-shared (1 x nvidia-l4, on-demand, TIME_SHARING x4); a100-mig (1 x nvidia-tesla-a100, on-demand, MIG 3g.20gb) "
            "(fix: add a matching pool to the stack's gpuNodePools, or change the model's GPU request)",
        )
    )
    [problem] = place(GpuRequest("m", "nvidia-l4", 1), []).problems
    assert "the stack's GPU pools: none (fix:" in problem


def test_several_request_problems_are_reported_together():
    assert place(
        GpuRequest("m", "nvidia-l4", 3, spot=True, sharing_acceptable=True), [L4], allow_spot=False
    ).problems == (
        "model 'm' on stack 'dev' asks for 3 GPUs per container; the cost policy allows at most 2 (fix: lower it to 2, or allow more explicitly with a business case)",
        "model 'm' on stack 'dev' asks for 3 shared or partitioned GPUs; GKE gives a container one slice (fix: ask for 1 GPU, or for whole GPUs without sharing)",
        "model 'm' on stack 'dev' asks for spot GPUs, but the stack serves on on-demand GPUs only (fix: remove spot: true for this environment)",
    )
