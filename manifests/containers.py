"""The model server's own container: command, arguments and environment per runtime.

The presets in `facts.runtimes` say what each server is (image, ports, probes); this turns a preset,
a catalogue entry and a resolved version into the container that serves them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from catalogue.schema import ModelSpec
from facts.quality_samples import SAMPLE_RATE_ENV
from facts.runtimes import MODEL_DIR, MODEL_MOUNT, SCRATCH_DIR, RuntimePreset

# This repository's runtime (serving_runtime/): MLServer's MLflow runtime plus the quality signals.
QUALITY_RUNTIME_CLASS = "mlops_serving_runtime.runtime.QualityMLflowRuntime"


@dataclass(frozen=True)
class ContainerPlan:
    command: tuple[str, ...]
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)


def _mlserver(runtime: RuntimePreset, model: ModelSpec, version: str) -> ContainerPlan:
    """Seldon MLServer with its MLflow runtime: V2 inference protocol, Prometheus metrics built in,
    and it loads any MLflow-logged sklearn/XGBoost/pyfunc model from a local directory."""
    return ContainerPlan(
        command=("mlserver", "start", MODEL_MOUNT),
        env={
            # No model-settings.json in the directory: MLServer loads one default model from these.
            "MLSERVER_MODEL_NAME": model.name,
            "MLSERVER_MODEL_VERSION": version,
            "MLSERVER_MODEL_IMPLEMENTATION": QUALITY_RUNTIME_CLASS,
            "MLSERVER_MODEL_URI": MODEL_DIR,
            "MLSERVER_HTTP_PORT": str(runtime.http_port),
            "MLSERVER_GRPC_PORT": str(runtime.grpc_port),
            "MLSERVER_METRICS_PORT": str(runtime.metrics_port),
            "MLSERVER_METRICS_ENDPOINT": runtime.metrics_path,
            # The root filesystem is read-only: metrics and temp files go to the /tmp emptyDir.
            "MLSERVER_METRICS_DIR": "/tmp/mlserver-metrics",
            "MLSERVER_LOAD_MODELS_AT_STARTUP": "true",
            # Fraction of prediction rows logged as samples for the drift/accuracy monitor.
            SAMPLE_RATE_ENV: str(model.monitoring.sample_rate if model.monitoring.enabled else 0.0),
        },
    )


def _triton(runtime: RuntimePreset, model: ModelSpec, version: str) -> ContainerPlan:
    """NVIDIA Triton Inference Server for deep-learning models (ONNX, TensorRT, PyTorch, TensorFlow).

    Model layout: the registered MLflow artifact IS a Triton model repository holding one model
    directory named exactly like the catalogue entry, so after the download:

        /mnt/models/model/                 <- --model-repository
          <catalogue name>/config.pbtxt
          <catalogue name>/1/model.onnx    (model.plan, model.pt, model.savedmodel/ by framework)

    The pipeline logs it with `mlflow.log_artifacts(repository_dir, artifact_path="model")` and
    registers `runs:/<run id>/model`. The readiness probe asks for that model by name, so an artifact
    laid out differently never becomes ready and the rollout stops with the old pods serving.
    """
    return ContainerPlan(
        command=("tritonserver",),
        args=(
            f"--model-repository={MODEL_DIR}",
            # none: load everything at start-up, ignore later repository changes and refuse the
            # load/unload API, so no client on the serving port can unload or swap the model;
            # the version a pod serves is fixed by its Deployment, never changed in place.
            "--model-control-mode=none",
            # Ready only when every model in the repository loaded, not just the server.
            "--strict-readiness=true",
            # A model that fails to load stops the server: a crash-looping pod is visible, a
            # server that is up without its model is not.
            "--exit-on-error=true",
            f"--http-port={runtime.http_port}",
            f"--grpc-port={runtime.grpc_port}",
            "--allow-metrics=true",
            "--allow-gpu-metrics=true",
            f"--metrics-port={runtime.metrics_port}",
            # Triton has no latency histogram: the canary's p99 and the p95 alert read the request
            # summary, off by default (facts-delivery.md section 2b; facts/runtime_metrics.py).
            "--metrics-config=summary_latencies=true",
            "--metrics-config=summary_quantiles=0.5:0.05,0.9:0.01,0.95:0.001,0.99:0.001",
            # Finish in-flight requests on SIGTERM within the pod's 30 s termination grace.
            "--exit-timeout-secs=25",
        ),
        env={"HOME": SCRATCH_DIR},
    )


def _vllm(runtime: RuntimePreset, model: ModelSpec, version: str) -> ContainerPlan:
    """vLLM's OpenAI-compatible server for generative models (Hugging Face transformers layout).

    The registered MLflow artifact is the model directory itself (config.json, tokenizer files,
    *.safetensors), served from /mnt/models/model under the catalogue name. Weights come only from
    the registry: the server runs offline and never calls the Hugging Face Hub.
    """
    llm, gpu = model.serving.llm, model.serving.gpu
    if llm is None or gpu is None:
        raise ValueError(f"{model.name}: runtime vllm needs serving.llm and serving.gpu (the catalogue validates this)")
    args = [
        "--model",
        MODEL_DIR,
        "--served-model-name",
        model.name,
        "--port",
        str(runtime.http_port),
        # One container spans all the GPUs it asks for: shard the model across them.
        "--tensor-parallel-size",
        str(gpu.count),
        "--max-model-len",
        str(llm.max_model_len),
        "--max-num-seqs",
        str(llm.max_num_seqs),
        "--gpu-memory-utilization",
        str(llm.gpu_memory_utilization),
        "--dtype",
        llm.dtype,
    ]
    if llm.max_num_batched_tokens is not None:
        args += ["--max-num-batched-tokens", str(llm.max_num_batched_tokens)]
    if llm.chunked_prefill:
        args.append("--enable-chunked-prefill")
    return ContainerPlan(
        # The module entry point takes --model in every release; `vllm serve` (the image's
        # entry point in newer releases) deprecates --model in favour of a positional argument.
        command=("python3", "-m", "vllm.entrypoints.openai.api_server"),
        args=tuple(args),
        env={
            # Read-only root filesystem and a UID the older images have no home for: HOME and
            # every cache (Hugging Face, vLLM, torch.compile, Triton kernels) go to the /tmp emptyDir.
            "HOME": SCRATCH_DIR,
            "HF_HOME": f"{SCRATCH_DIR}/huggingface",
            "XDG_CACHE_HOME": f"{SCRATCH_DIR}/.cache",
            # getpass.getuser() (torch's cache paths) fails for a UID without a passwd entry.
            "USER": "vllm",
            # Weights come from the registry, never from the Hub: fail instead of downloading.
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            # No usage reports to vLLM's collector from a production cluster.
            "VLLM_NO_USAGE_STATS": "1",
            "DO_NOT_TRACK": "1",
        },
    )


def server_container(runtime: RuntimePreset, model: ModelSpec, version: str) -> ContainerPlan:
    """The serving container of `model` at `version` on `runtime`."""
    builders = {"mlserver": _mlserver, "triton": _triton, "vllm": _vllm}
    if runtime.name not in builders:
        raise ValueError(f"no container builder for runtime {runtime.name!r}")
    return builders[runtime.name](runtime, model, version)
