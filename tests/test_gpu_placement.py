"""GPU models on the real stacks: serving_plans places each on the stack's GPU pool that fits it, with
the pool's node labels, tolerations for its taints and the nvidia.com/gpu limit; prod never on spot;
a model no pool can take stops the run with one ConfigError naming model, stack and pools."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pulumi
import pytest
import yaml

from catalogue.loader import load_catalogue
from catalogue.schema import ModelSpec
from core.problems import ConfigError
from ops.offline.engine import run_program
from ops.offline.mocks import ProgramMocks
from ops.offline.program_run import ProgramError
from ops.stack_config import load_stack_config
from plan.pool_facts import SPOT_TAINT, pool_scheduling_facts
from plan.serving import select_models, serving_plans
from plan.serving_plan import Placement
from settings.gpu_node_pools import GpuNodePoolSettings
from settings.pulumi_config import read_stack_settings
from settings.stack import PROJECT, StackSettings

PROJECT_DIR = Path(__file__).resolve().parent.parent
MODELS = PROJECT_DIR / "models"
CATALOGUE = load_catalogue(MODELS)
GPU_MODELS = ("image-classifier", "support-assistant")
# The pool each stack file's GPU models must land on: dev has only a spot L4 pool (and a shared T4
# pool neither model accepts); staging and prod serve from on-demand L4 pools.
EXPECTED_POOL = {"dev": "l4-spot", "staging": "l4", "prod": "l4"}


def settings_of(stack: str) -> StackSettings:
    """The stack's settings exactly as the program reads them (Pulumi.yaml defaults + the stack file)."""
    config = load_stack_config(PROJECT_DIR, stack)
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    pulumi.runtime.set_mocks(ProgramMocks(config, preview=True), project=PROJECT, stack=stack, preview=True)
    return read_stack_settings().stack


def model(name: str, **gpu) -> ModelSpec:
    document = yaml.safe_load((MODELS / f"{name}.yaml").read_text())
    document["serving"]["gpu"] = {**document["serving"]["gpu"], **gpu}
    return ModelSpec.model_validate(document)


def pool(name: str, spot: bool = False) -> GpuNodePoolSettings:
    return GpuNodePoolSettings.model_validate(
        {
            "name": name,
            "machineType": "g2-standard-8",
            "spot": spot,
            "accelerator": {"type": "nvidia-l4", "count": 1},
            "autoscaling": {"totalMaxNodeCount": 4},
        }
    )


def problems_of(settings: StackSettings, models) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        serving_plans(settings, tuple(models))
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("stack", sorted(EXPECTED_POOL))
def test_every_gpu_model_gets_the_labels_taints_and_gpus_of_its_pool(stack):
    settings = settings_of(stack)
    facts = {p.name: pool_scheduling_facts(p) for p in settings.gpu_node_pools}
    plans = serving_plans(settings, select_models(settings, CATALOGUE))
    assert set(GPU_MODELS) <= set(plans)
    for name in GPU_MODELS:
        plan, gpu = plans[name], plans[name].model.serving.gpu
        target = facts[EXPECTED_POOL[stack]]
        assert plan.placement.node_selector == dict(target.labels)
        assert plan.placement.node_selector["cloud.google.com/gke-nodepool"] == target.name
        assert plan.placement.node_selector["cloud.google.com/gke-accelerator"] == gpu.accelerator == target.accelerator
        assert plan.placement.tolerations == tuple(t.toleration() for t in target.taints)
        assert {(t.key, t.value, t.effect) for t in target.taints} <= {
            (t["key"], t["value"], t["effect"]) for t in plan.placement.tolerations
        }
        assert plan.placement.extra_limits == {"nvidia.com/gpu": str(gpu.count)}
        assert target.gpus_per_node >= gpu.count


@pytest.mark.parametrize("stack", ["local", "dev", "staging", "prod"])
def test_cpu_models_are_not_placed_on_gpu_nodes(stack):
    settings = settings_of(stack)
    plans = serving_plans(settings, select_models(settings, CATALOGUE))
    for name in ("churn-prediction", "fraud-detection"):
        assert plans[name].placement == Placement()


def test_prod_never_serves_on_spot():
    settings = settings_of("prod")
    plans = serving_plans(settings, select_models(settings, CATALOGUE))
    for name in GPU_MODELS:
        placement = plans[name].placement
        assert "cloud.google.com/gke-spot" not in placement.node_selector
        assert SPOT_TAINT.toleration() not in placement.tolerations
    # With only a spot L4 pool, prod refuses rather than fall back to spot; dev takes it.
    spot_only = settings.model_copy(update={"gpu_node_pools": (pool("l4-spot", spot=True),)})
    problems = problems_of(spot_only, [model("image-classifier")])
    assert len(problems) == 1 and "no GPU node pool serves 1 x nvidia-l4 on-demand;" in problems[0]
    dev_like = spot_only.model_copy(update={"environment": "dev", "stack": "dev"})
    assert (
        serving_plans(dev_like, (model("image-classifier"),))["image-classifier"].placement.node_selector[
            "cloud.google.com/gke-spot"
        ]
        == "true"
    )


def test_a_model_asking_for_spot_is_refused_in_prod_with_the_fix():
    (problem,) = problems_of(settings_of("prod"), [model("support-assistant", spot=True)])
    assert problem == (
        "models/support-assistant.yaml: serving.gpu: model 'support-assistant' on stack 'prod' asks for spot GPUs, "
        "but the stack serves on on-demand GPUs only (fix: remove spot: true for this environment)"
    )


def test_unschedulable_models_are_reported_together_naming_model_stack_and_pools():
    problems = problems_of(
        settings_of("prod"),
        [
            model("image-classifier", accelerator="nvidia-h100-80gb"),
            model("support-assistant", accelerator="nvidia-tesla-t4"),
            model("image-classifier"),  # schedulable: no problem of its own
        ],
    )
    assert len(problems) == 2
    pools = "l4 (1 x nvidia-l4, on-demand); a100 (1 x nvidia-tesla-a100, on-demand)"
    assert problems[0] == (
        "models/image-classifier.yaml: serving.gpu: model 'image-classifier' on stack 'prod': no GPU node pool serves "
        f"1 x nvidia-h100-80gb on-demand; the stack's GPU pools: {pools} "
        "(fix: add a matching pool to the stack's gpuNodePools, or change the model's GPU request)"
    )
    assert problems[1].startswith(
        "models/support-assistant.yaml: serving.gpu: model 'support-assistant' on stack 'prod': "
        "no GPU node pool serves 1 x nvidia-tesla-t4 on-demand;"
    )
    assert pools in problems[1]


def test_a_stack_without_gpu_pools_refuses_gpu_models_with_the_fix():
    (problem,) = problems_of(settings_of("local"), [model("image-classifier")])
    assert problem == (
        "models/image-classifier.yaml: serving.gpu: model 'image-classifier' runs on triton with GPUs, but stack 'local' "
        "has no GPU node pools (cluster mode kubeconfig) (fix: remove environments.local from models/image-classifier.yaml, "
        "or deploy it with a GKE stack whose gpuNodePools has nvidia-l4)"
    )


@pytest.mark.parametrize("stack", sorted(EXPECTED_POOL))
def test_shipped_gpu_models_fit_their_pools_at_full_scale(stack):
    """Each replica takes whole GPUs: the most replicas the HPAs may ask for must fit the pool's most nodes."""
    settings = settings_of(stack)
    by_name = {p.name: p for p in settings.gpu_node_pools}
    demand = Counter()
    for plan in serving_plans(settings, select_models(settings, CATALOGUE)).values():
        if plan.placement.extra_limits:
            _, high = plan.model.replica_bounds(stack)
            demand[plan.placement.node_selector["cloud.google.com/gke-nodepool"]] += high * plan.model.serving.gpu.count
    assert demand
    for name, gpus in demand.items():
        facts = pool_scheduling_facts(by_name[name])
        assert gpus <= by_name[name].autoscaling.total_max_node_count * facts.gpus_per_node, name


def test_the_program_puts_gpu_deployments_on_their_pools(stack_runs):
    for stack, expected in EXPECTED_POOL.items():
        deployments = {
            d.inputs["metadata"]["name"]: d.inputs
            for d in stack_runs[stack].kubernetes_objects()
            if d.inputs["kind"] == "Deployment"
        }
        for name in GPU_MODELS:
            pod = deployments[name]["spec"]["template"]["spec"]
            assert pod["nodeSelector"]["cloud.google.com/gke-nodepool"] == expected, (stack, name)
            assert pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"
            assert {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"} in pod[
                "tolerations"
            ]
            on_spot = pod["nodeSelector"].get("cloud.google.com/gke-spot") == "true"
            assert on_spot == (stack == "dev"), (stack, name)
        assert "nodeSelector" not in deployments["churn-prediction"]["spec"]["template"]["spec"]


def test_an_unschedulable_model_stops_the_program_before_any_resource(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(
        PROJECT_DIR, project, ignore=shutil.ignore_patterns(".venv", ".git", "rendered", ".demo", "__pycache__")
    )
    entry = project / "models" / "image-classifier.yaml"
    entry.write_text(entry.read_text().replace("accelerator: nvidia-l4", "accelerator: nvidia-h100-80gb"))
    with pytest.raises(ProgramError) as caught:
        run_program(project, load_stack_config(project, "staging"))
    assert isinstance(caught.value.cause, ConfigError)
    assert "model 'image-classifier' on stack 'staging': no GPU node pool serves 1 x nvidia-h100-80gb" in str(
        caught.value.cause
    )
    assert caught.value.resources == []
