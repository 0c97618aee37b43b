"""Resources whose waits are known to be long carry customTimeouts derived from facts/waits.py.

Before: nothing set customTimeouts, so a first vLLM or Triton Deployment (a GPU node from 0, a
multi-GB image, the weights, a start-up allowed 15-30 min by its own probe) failed Pulumi's 10-minute
Deployment wait, and a prod GPU pool update rolling 8 nodes one at a time outlived the NodePool's 30
minutes. The whole program runs offline (Pulumi's mocks, no registry) and the options each resource is
registered with are read from the engine's RegisterResource requests."""

from __future__ import annotations

import re
from functools import cache

import pytest
import yaml

from facts.waits import (
    DEPLOYMENT_DEFAULT_SECONDS,
    GPU_NODE_SCALE_UP_SECONDS,
    IMAGE_FACTS,
    NODE_POOL_DEFAULT_SECONDS,
    deployment_timeouts,
    gpu_node_pool_timeouts,
)
from ops.offline.engine import run_program
from ops.offline.program_run import ProgramRun
from ops.offline.render import RENDER_OVERRIDES
from ops.offline.snapshot import RegistrySnapshot, SnapshotResolver
from ops.stack_config import load_stack_config
from tests.conftest import PROJECT_DIR
from tests.test_workflows import WORKFLOWS

NODE_POOL = "gcp:container/nodePool:NodePool"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
GKE_STACKS = ("dev", "staging", "prod")


@pytest.fixture(autouse=True)
def no_registry(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")


@cache
def offline_run(stack: str) -> ProgramRun:
    config = load_stack_config(PROJECT_DIR, stack, overrides=RENDER_OVERRIDES)
    empty = RegistrySnapshot("none", stack, "", {})
    return run_program(PROJECT_DIR, config, preview=True, resolve_dynamic=SnapshotResolver(empty))


def minutes(text: str) -> int:
    match = re.fullmatch(r"(\d+)m", text)
    assert match, text
    return int(match[1])


def test_gpu_waits_exceed_the_defaults_by_what_they_add():
    for name, facts in IMAGE_FACTS.items():
        timeouts = deployment_timeouts(name)
        assert timeouts.create >= DEPLOYMENT_DEFAULT_SECONDS
        needed = facts.pull_seconds + facts.download_seconds + facts.startup_seconds
        assert timeouts.create >= needed + (GPU_NODE_SCALE_UP_SECONDS if facts.runtime.gpu else 0)
    assert deployment_timeouts("vllm").create > 3 * DEPLOYMENT_DEFAULT_SECONDS
    # A roll of 8 nodes, one at a time, takes longer than 4 nodes two at a time; never below the default.
    assert gpu_node_pool_timeouts(2, 8, 1).update > gpu_node_pool_timeouts(2, 4, 2).update > NODE_POOL_DEFAULT_SECONDS
    assert gpu_node_pool_timeouts(0, 1, 1).create == NODE_POOL_DEFAULT_SECONDS


@pytest.mark.parametrize("stack", GKE_STACKS)
def test_every_gpu_pool_and_model_deployment_is_registered_with_its_derived_timeouts(stack):
    run = offline_run(stack)
    pools = run.by_type(NODE_POOL)
    gpu_pools = [p for p in pools if (p.inputs.get("nodeConfig") or {}).get("guestAccelerators")]
    assert gpu_pools
    for pool in gpu_pools:
        scaling, upgrade = pool.inputs["autoscaling"], pool.inputs["upgradeSettings"]
        surge = upgrade.get("maxSurge", 0) + upgrade.get("maxUnavailable", 0) if upgrade["strategy"] == "SURGE" else 0
        expected = gpu_node_pool_timeouts(scaling["totalMinNodeCount"], scaling["totalMaxNodeCount"], surge or 1000)
        assert pool.options["customTimeouts"] == expected.as_strings(), pool.name
    deployments = [d for d in run.by_type(DEPLOYMENT) if "mlops:serving:ModelServing" in d.parent]
    runtimes = set()
    for deployment in deployments:
        runtime = runtime_of(deployment.inputs["spec"]["template"]["spec"]["containers"][0]["image"])
        runtimes.add(runtime)
        assert deployment.options["customTimeouts"] == deployment_timeouts(runtime).as_strings(), deployment.name
    assert runtimes


def runtime_of(image: str) -> str:
    """The runtime whose image (upstream, or ours under any registry) the server container runs."""
    repository = image.rsplit(":", 1)[0]
    (name,) = [n for n, f in IMAGE_FACTS.items() if repository.endswith(f.runtime.image.rsplit(":", 1)[0])]
    return name


def test_the_deploy_jobs_outlast_the_longest_waits_they_start():
    lock_wait = 900
    worst = 0
    for stack in GKE_STACKS:
        run = offline_run(stack)
        pool = max(
            minutes(p.options["customTimeouts"]["update"])
            for p in run.by_type(NODE_POOL)
            if p.options["customTimeouts"]
        )
        deployment = max(
            minutes(d.options["customTimeouts"]["create"])
            for d in run.by_type(DEPLOYMENT)
            if d.options["customTimeouts"]
        )
        worst = max(worst, lock_wait // 60 + pool + deployment)
    for name, job in (("deploy-stack.yml", "up"), ("operate.yml", "operate")):
        document = yaml.safe_load((WORKFLOWS[0].parent / name).read_text())
        assert document["jobs"][job]["timeout-minutes"] >= worst, f"{name}:{job} is cut off before {worst} min"
