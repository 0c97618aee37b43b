"""Across each GKE stack's whole render (the program under mocks, tests/conftest.py stack_runs): every
batch CronJob's pods can schedule on a node pool the same render registers, and no serving pod can
land on the spot batch pool. Read from the resources' wire inputs alone, as GKE would see them: a
pool's node labels are its nodeConfig labels plus those GKE sets from the pool's config (name, spot,
accelerator), its taints are nodeConfig.taints."""

from __future__ import annotations

import pytest

from core import labels as L
from ops.offline.program_run import ProgramRun
from ops.offline.wire_values import unwrap
from ops.stack_config import load_stack_config
from tests.conftest import PROJECT_DIR, STACKS

NODE_POOL = "gcp:container/nodePool:NodePool"
GKE_EFFECT = {"NO_SCHEDULE": "NoSchedule", "PREFER_NO_SCHEDULE": "PreferNoSchedule", "NO_EXECUTE": "NoExecute"}
BATCH_TAINT = ("mlops.platform/node-role", "batch", "NoSchedule")
GKE_STACKS = [
    s
    for s in STACKS
    if '"mode": "kubeconfig"' not in load_stack_config(PROJECT_DIR, s).values["mlops-platform:cluster"]
]


def pools(run: ProgramRun) -> dict[str, tuple[dict[str, str], list[tuple[str, str, str]]]]:
    """Every node pool of the render: name -> (its nodes' labels, their taints)."""
    found = {}
    for resource in run.by_type(NODE_POOL):
        inputs = unwrap(resource.inputs)
        config = inputs.get("nodeConfig") or {}
        labels = {**(config.get("labels") or {}), "cloud.google.com/gke-nodepool": inputs["name"]}
        if config.get("spot") is True:
            labels["cloud.google.com/gke-spot"] = "true"
        for accelerator in config.get("guestAccelerators") or []:
            labels["cloud.google.com/gke-accelerator"] = accelerator["type"]
        taints = [(t["key"], t["value"], GKE_EFFECT[t["effect"]]) for t in config.get("taints") or []]
        found[inputs["name"]] = (labels, taints)
    return found


def tolerates(pod: dict, taint: tuple[str, str, str]) -> bool:
    key, value, effect = taint
    for t in pod.get("tolerations") or []:
        if t.get("effect") not in (None, "", effect):
            continue
        if t.get("operator") == "Exists" and t.get("key") in (None, "", key):
            return True
        if t.get("key") == key and t.get("operator", "Equal") == "Equal" and t.get("value") == value:
            return True
    return False


def schedulable_on(pod: dict, pool: tuple[dict[str, str], list[tuple[str, str, str]]]) -> bool:
    labels, taints = pool
    assert "affinity" not in pod, "node affinity is not modelled here: extend the test"
    selector = pod.get("nodeSelector") or {}
    return all(labels.get(k) == v for k, v in selector.items()) and all(
        tolerates(pod, t) for t in taints if t[2] in ("NoSchedule", "NoExecute")
    )


def objects(run: ProgramRun, kind: str) -> list[dict]:
    return [unwrap(r.inputs) for r in run.kubernetes_objects() if r.inputs.get("kind") == kind]


def batch_cronjobs(run: ProgramRun) -> list[dict]:
    return [c for c in objects(run, "CronJob") if c["metadata"]["labels"].get(L.WORKLOAD) == "batch"]


def test_gke_stacks_and_a_batch_job_are_there_to_check():
    assert GKE_STACKS == ["dev", "prod", "staging"]


@pytest.mark.parametrize("stack", GKE_STACKS)
def test_every_batch_cronjob_schedules_on_a_spot_pool_of_the_same_render(stack_runs, stack):
    run = stack_runs[stack]
    registered = pools(run)
    jobs = batch_cronjobs(run)
    if stack == "prod":
        assert [j["metadata"]["name"] for j in jobs] == ["churn-prediction-batch-nightly"]  # the catalogue's job
    for job in jobs:
        pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        fits = [name for name, pool in registered.items() if schedulable_on(pod, pool)]
        assert fits, f"{stack}: {job['metadata']['name']} fits none of the pools {sorted(registered)}"
        assert all(registered[name][0].get("cloud.google.com/gke-spot") == "true" for name in fits), fits


@pytest.mark.parametrize("stack", GKE_STACKS)
def test_no_serving_pod_tolerates_or_lands_on_the_batch_pool(stack_runs, stack):
    run = stack_runs[stack]
    registered = pools(run)
    batch_pools = [name for name, (_, taints) in registered.items() if BATCH_TAINT in taints]
    assert batch_pools == ["batch-spot"]  # every GKE stack has one, so a dev or staging job can run too
    deployments = objects(run, "Deployment")
    assert deployments
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        name = deployment["metadata"]["name"]
        assert not tolerates(pod, BATCH_TAINT), f"{stack}: {name} tolerates the batch taint"
        homes = [pool for pool in registered if schedulable_on(pod, registered[pool])]
        assert homes and not set(homes) & set(batch_pools), f"{stack}: {name} would run on {homes}"


def test_the_batch_pool_is_spot_from_zero_tainted_and_hardened():
    from components.cluster.batch_node_pool import batch_pool_inputs
    from tests.addon_settings import stack_settings

    pool = stack_settings("prod").batch_node_pool
    assert pool is not None
    inputs = batch_pool_inputs(pool, "cluster", "us-central1", "acme-ml-prod", "nodes@acme.iam.gserviceaccount.com")
    config = inputs["node_config"]
    assert config["spot"] is True and "guest_accelerators" not in config and config["machine_type"] == "e2-standard-4"
    assert inputs["autoscaling"]["total_min_node_count"] == 0  # idle, it costs nothing
    assert config["taints"] == [
        {"key": "cloud.google.com/gke-spot", "value": "true", "effect": "NO_SCHEDULE"},
        {"key": "mlops.platform/node-role", "value": "batch", "effect": "NO_SCHEDULE"},
    ]
    assert config["labels"] == {"mlops.platform/node-role": "batch"}
    assert config["workload_metadata_config"] == {"mode": "GKE_METADATA"}  # Workload Identity for the bucket
    assert "initial_node_count" not in inputs
