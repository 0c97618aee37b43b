"""The GPU runtime presets (Triton, vLLM) as the pure builders turn them into Kubernetes objects:
command and arguments, ports, probes, shared memory, environment, identity, strict schema validity."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from catalogue.loader import load_catalogue
from catalogue.schema import ModelSpec
from facts.runtimes import MLSERVER, MODEL_DIR, RUNTIMES, TRITON, VLLM
from manifests.delivery.autoscaling import hpa_manifest
from manifests.network_policies import network_policy_manifests
from manifests.serving import (
    deployment_manifest,
    namespace_manifest,
    pdb_manifest,
    registry_secret_manifest,
    service_account_manifest,
    service_manifest,
)
from plan.quality_signals import quality_signals
from plan.registry_credentials import PodCredentials
from plan.serving_plan import Placement, Scaling, ServingPlan
from tests.schemas import validate

MODELS = Path(__file__).resolve().parent.parent / "models"
CATALOGUE = load_catalogue(MODELS)
CLASSIFIER = next(m for m in CATALOGUE.models if m.name == "image-classifier")
ASSISTANT = next(m for m in CATALOGUE.models if m.name == "support-assistant")
L4_PLACEMENT = Placement(
    node_selector={"cloud.google.com/gke-nodepool": "l4", "cloud.google.com/gke-accelerator": "nvidia-l4"},
    tolerations=({"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"},),
    extra_limits={"nvidia.com/gpu": "1"},
)


def entry(path: str, **serving_changes) -> ModelSpec:
    """A shipped entry with some serving keys replaced (camelCase, as in YAML), validated again."""
    document = yaml.safe_load((MODELS / path).read_text())
    document["serving"] = {**document["serving"], **serving_changes}
    return ModelSpec.model_validate(document)


def make_plan(model: ModelSpec, **changes) -> ServingPlan:
    plan = ServingPlan(
        model=model,
        environment="prod",
        namespace=f"ml-{model.name}",
        runtime=RUNTIMES[model.serving.runtime],
        tracking_uri="http://mlflow.mlflow.svc:5000",
        kubernetes_minor=33,
        monitoring_namespace="monitoring",
        traffic_namespaces=("gateway",),
        traffic_source_cidrs=("35.191.0.0/16",),
        scaling=Scaling(*model.replica_bounds("prod")),
        quality_series=quality_signals(model),
        registry_credentials=PodCredentials("program-token"),
        placement=L4_PLACEMENT,
    )
    return replace(plan, **changes)


def pod_of(plan: ServingPlan, version: str = "3") -> dict:
    return deployment_manifest(plan, version)["spec"]["template"]["spec"]


def server_of(plan: ServingPlan) -> dict:
    (server,) = pod_of(plan)["containers"]
    return server


def flag_values(args: list[str]) -> dict[str, str]:
    """`--flag value` pairs (vLLM style) -> {flag: value}; a flag followed by another flag maps to ''."""
    values = {}
    for i, arg in enumerate(args):
        if arg.startswith("--"):
            following = args[i + 1] if i + 1 < len(args) else "--"
            values[arg] = "" if following.startswith("--") else following
    return values


def all_objects(plan: ServingPlan) -> list[dict]:
    return [
        namespace_manifest(plan),
        service_account_manifest(plan),
        registry_secret_manifest(plan, {"MLFLOW_TRACKING_TOKEN": "t0ken"}),
        deployment_manifest(plan, "3"),
        service_manifest(plan),
        hpa_manifest(plan),
        pdb_manifest(plan),
        *network_policy_manifests(plan),
    ]


# -- Triton ---------------------------------------------------------------------------------------------


def test_triton_serves_the_downloaded_repository_without_a_model_control_api():
    server = server_of(make_plan(CLASSIFIER))
    assert server["image"].startswith("nvcr.io/nvidia/tritonserver:") and server["image"].endswith("-py3")
    assert server["command"] == ["tritonserver"]
    args = server["args"]
    assert f"--model-repository={MODEL_DIR}" in args
    for flag in (
        "--model-control-mode=none",
        "--strict-readiness=true",
        "--exit-on-error=true",
        "--http-port=8000",
        "--grpc-port=8001",
        "--metrics-port=8002",
        "--allow-metrics=true",
    ):
        assert flag in args, flag


def test_triton_ports_are_http_grpc_and_metrics():
    plan = make_plan(CLASSIFIER)
    assert [(p["name"], p["containerPort"]) for p in server_of(plan)["ports"]] == [
        ("http", 8000),
        ("grpc", 8001),
        ("http-metrics", 8002),
    ]
    assert [(p["name"], p["port"], p["targetPort"]) for p in service_manifest(plan)["spec"]["ports"]] == [
        ("http", 8000, "http"),
        ("grpc", 8001, "grpc"),
        ("http-metrics", 8002, "http-metrics"),
    ]
    assert TRITON.metrics_path == "/metrics" and TRITON.metrics_port_name == "http-metrics"


def test_triton_probes_wait_long_for_loading_and_readiness_asks_for_the_catalogued_model_by_name():
    server = server_of(make_plan(CLASSIFIER))
    startup, readiness, liveness = server["startupProbe"], server["readinessProbe"], server["livenessProbe"]
    assert startup["httpGet"] == {"path": "/v2/health/ready", "port": "http"}
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 15 * 60
    # A repository whose model directory is not named like the entry never becomes ready.
    assert readiness["httpGet"] == {"path": "/v2/models/image-classifier/ready", "port": "http"}
    assert liveness["httpGet"] == {"path": "/v2/health/live", "port": "http"}


def test_triton_runs_as_its_image_user_with_a_read_only_root():
    pod = pod_of(make_plan(CLASSIFIER))
    assert pod["securityContext"]["runAsUser"] == 1000 == TRITON.run_as_user  # triton-server in the image
    context = pod["containers"][0]["securityContext"]
    assert context["readOnlyRootFilesystem"] is True and context["runAsNonRoot"] is True
    env = {e["name"]: e["value"] for e in pod["containers"][0]["env"]}
    assert env["HOME"] == "/tmp"  # the image's user has no home directory of its own


# -- vLLM -----------------------------------------------------------------------------------------------


def test_vllm_arguments_come_from_the_catalogue():
    server = server_of(make_plan(ASSISTANT))
    assert server["image"].startswith("docker.io/vllm/vllm-openai:v")
    assert server["command"] == ["python3", "-m", "vllm.entrypoints.openai.api_server"]
    assert flag_values(server["args"]) == {
        "--model": MODEL_DIR,
        "--served-model-name": "support-assistant",
        "--port": "8000",
        "--tensor-parallel-size": "1",
        "--max-model-len": "4096",
        "--max-num-seqs": "32",
        "--max-num-batched-tokens": "8192",
        "--gpu-memory-utilization": "0.9",
        "--dtype": "bfloat16",
    }


def test_vllm_shards_over_every_gpu_of_the_container_and_passes_chunked_prefill():
    model = entry(
        "support-assistant.yaml",
        gpu={"accelerator": "nvidia-l4", "count": 2},
        llm={"maxModelLen": 16384, "maxNumBatchedTokens": 2048, "chunkedPrefill": True},
    )
    flags = flag_values(server_of(make_plan(model))["args"])
    assert flags["--tensor-parallel-size"] == "2"
    assert flags["--max-num-batched-tokens"] == "2048" and flags["--enable-chunked-prefill"] == ""
    defaults = flag_values(server_of(make_plan(entry("support-assistant.yaml", llm={"maxModelLen": 2048})))["args"])
    assert "--max-num-batched-tokens" not in defaults and "--enable-chunked-prefill" not in defaults
    assert (defaults["--max-num-seqs"], defaults["--gpu-memory-utilization"], defaults["--dtype"]) == (
        "256",
        "0.9",
        "auto",
    )


def test_vllm_runs_offline_with_every_cache_on_the_writable_scratch_volume():
    pod = pod_of(make_plan(ASSISTANT))
    env = {e["name"]: e["value"] for e in pod["containers"][0]["env"]}
    assert env["HF_HUB_OFFLINE"] == "1" and env["TRANSFORMERS_OFFLINE"] == "1"
    assert env["VLLM_NO_USAGE_STATS"] == "1"
    for key in ("HOME", "HF_HOME", "XDG_CACHE_HOME"):
        assert env[key].startswith("/tmp"), key
    mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes[mounts["/tmp"]]["emptyDir"] == {"sizeLimit": VLLM.scratch_storage}
    assert (
        pod["securityContext"]["runAsUser"] == 2000
        and pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"]
    )


def test_vllm_probes_health_and_allows_a_long_weight_load():
    server = server_of(make_plan(ASSISTANT))
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert server[probe]["httpGet"] == {"path": "/health", "port": "http"}
    startup = server["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 20 * 60


def test_metrics_on_the_serving_port_yield_no_duplicate_container_or_service_port():
    plan = make_plan(ASSISTANT)
    assert VLLM.metrics_port == VLLM.http_port and VLLM.metrics_port_name == "http"
    assert server_of(plan)["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert service_manifest(plan)["spec"]["ports"] == [
        {"name": "http", "port": 8000, "targetPort": "http", "protocol": "TCP"}
    ]
    _, metrics, _ = network_policy_manifests(plan)
    assert metrics["spec"]["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 8000}]


@pytest.mark.parametrize("model", CATALOGUE.models, ids=lambda m: f"{m.name}-{m.serving.runtime}")
def test_no_runtime_declares_a_port_twice(model):
    plan = make_plan(model)
    ports = server_of(plan)["ports"]
    assert len({p["containerPort"] for p in ports}) == len(ports) == len({p["name"] for p in ports})
    service = service_manifest(plan)["spec"]["ports"]
    assert len({p["port"] for p in service}) == len(service) == len({p["name"] for p in service})
    named = {p["name"] for p in ports}
    assert {p["targetPort"] for p in service} <= named


# -- shared memory, GPUs, validity ----------------------------------------------------------------------


@pytest.mark.parametrize("model, size", [(CLASSIFIER, "1Gi"), (ASSISTANT, "2Gi")], ids=["triton", "vllm"])
def test_shared_memory_is_a_memory_backed_volume_on_dev_shm(model, size):
    pod = pod_of(make_plan(model))
    (dshm,) = [v for v in pod["volumes"] if v["name"] == "dshm"]
    assert dshm["emptyDir"] == {"medium": "Memory", "sizeLimit": size}
    assert {"name": "dshm", "mountPath": "/dev/shm"} in pod["containers"][0]["volumeMounts"]


def test_shared_memory_defaults_to_the_runtime_and_the_entry_overrides_it():
    def shm(model):
        return next(v["emptyDir"]["sizeLimit"] for v in pod_of(make_plan(model))["volumes"] if v["name"] == "dshm")

    document = yaml.safe_load((MODELS / "image-classifier.yaml").read_text())
    del document["serving"]["sharedMemory"]
    unset = ModelSpec.model_validate(document)
    assert shm(unset) == TRITON.shared_memory
    assert shm(entry("image-classifier.yaml", sharedMemory="3Gi")) == "3Gi"
    assert not [v for v in pod_of(make_plan(CATALOGUE.models[0]))["volumes"] if v["name"] == "dshm"]  # mlserver: none
    assert MLSERVER.shared_memory is None


def test_gpu_limit_reaches_the_server_but_not_the_downloader():
    pod = pod_of(make_plan(ASSISTANT))
    assert pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert "nvidia.com/gpu" not in pod["initContainers"][0]["resources"]["limits"]
    assert pod["nodeSelector"] == L4_PLACEMENT.node_selector and pod["tolerations"] == list(L4_PLACEMENT.tolerations)


@pytest.mark.parametrize("minor", [26, 29, 33, 37])
@pytest.mark.parametrize("model", [CLASSIFIER, ASSISTANT], ids=["triton", "vllm"])
def test_gpu_objects_are_strictly_valid_at_each_kubernetes_version(model, minor):
    for manifest in all_objects(make_plan(model, kubernetes_minor=minor)):
        validate(manifest, f"1.{minor}")
