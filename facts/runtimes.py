"""Serving runtime presets: image, ports, probes and start-up command of each model server.

Every runtime default lives here. A preset turns (model, version) into the container's command and
environment; the Deployment builder does the rest identically for all.

How the model reaches the server: an init container runs `mlflow artifacts download` for the exact
`models:/<registered model>/<version>` URI into an emptyDir, and the server loads it from local
disk. The server image needs no registry credentials, the version is immutable and visible on the
pod, and the same mechanism feeds every runtime (see README.md, "How a model reaches its server").

Sources for the GPU presets (checked 2026):
  [TRITON-REL]   https://docs.nvidia.com/deeplearning/triton-inference-server/release-notes/rel-25-10.html
  [TRITON-REPO]  Triton user guide, "Model Repository" (layout) and "Model Management" (control modes)
  [TRITON-API]   Triton user guide, "HTTP/REST and GRPC API": /v2/health/live, /v2/health/ready,
                 /v2/models/<name>/ready; ports 8000 HTTP, 8001 gRPC, 8002 Prometheus /metrics
  [TRITON-IMG]   triton-inference-server/server build.py: the image creates user triton-server, UID 1000
  [VLLM-SERVE]   https://docs.vllm.ai/en/latest/cli/serve.html (engine and server arguments)
  [VLLM-METRICS] https://docs.vllm.ai/en/latest/usage/metrics/ (/metrics on the API server's own port)
  [VLLM-DOCKER]  vllm-project/vllm docker/Dockerfile: the vllm-openai image runs as root unless built
                 with its non-root target; a `vllm` user (UID 2000, GID 0) exists for that
"""

from __future__ import annotations

from dataclasses import dataclass

from facts.built_images import SERVING_RUNTIME_IMAGE, BuiltImage
from facts.quality_metrics import QUALITY_SERIES, Series

MODEL_MOUNT = "/mnt/models"
MODEL_DIR = f"{MODEL_MOUNT}/model"
# The downloader: the MLflow client at the version this project is tested against.
DOWNLOADER_IMAGE = "ghcr.io/mlflow/mlflow:v3.17.2"
# Writable scratch space: the root filesystem is read-only, so HOME and every cache live here.
SCRATCH_DIR = "/tmp"
# Probe paths may name the model: "{model}" is replaced by the catalogue name (see TRITON's readiness).
MODEL_PLACEHOLDER = "{model}"


@dataclass(frozen=True)
class Probe:
    path: str
    period_seconds: int = 10
    failure_threshold: int = 3
    timeout_seconds: int = 2

    def path_for(self, model_name: str) -> str:
        return self.path.replace(MODEL_PLACEHOLDER, model_name)


@dataclass(frozen=True)
class RuntimePreset:
    name: str
    image: str
    frameworks: tuple[str, ...]
    http_port: int
    metrics_port: int  # may equal http_port: then the server has no separate metrics port (vLLM)
    startup: Probe
    readiness: Probe
    liveness: Probe
    grpc_port: int | None = None
    metrics_path: str = "/metrics"
    run_as_user: int = 1000
    gpu: bool = False  # GPU runtimes need serving.gpu in the catalogue and a GPU pool that fits it
    generative: bool = False  # takes the catalogue's token limits (serving.llm)
    shared_memory: str | None = None  # default size of /dev/shm; None: the runtime mounts none
    scratch_storage: str = "1Gi"  # size of the /tmp emptyDir (HOME, caches, temp files)
    # Built from this repository: `image` is then its local name, and each stack pulls it from its own
    # image registry (plan/serving.py). None: an upstream image, pulled as written.
    built_image: BuiltImage | None = None
    # Model-quality series (facts/quality_metrics.py) this runtime can produce; which of them a given
    # model really gets also depends on its catalogue entry (plan/quality_signals.py).
    quality_series: frozenset[Series] = frozenset()

    @property
    def metrics_port_name(self) -> str:
        """The container/Service port name scrapes use: "http" when metrics share the serving port."""
        return "http" if self.metrics_port == self.http_port else "http-metrics"


# Seldon MLServer with its MLflow runtime: V2 inference protocol, Prometheus metrics built in,
# and it loads any MLflow-logged sklearn/XGBoost/pyfunc model from a local directory.
# The image is this repository's serving_runtime/ (MLServer 1.7.1, the latest on PyPI, plus the
# quality runtime that exports confidence, the prediction distribution and input samples): the
# MLServer release of the upstream docker.io/seldonio/mlserver:1.7.1-mlflow, with the mlflow and
# scikit-learn versions the models are logged with (serving_runtime/requirements.txt).
MLSERVER = RuntimePreset(
    name="mlserver",
    image=SERVING_RUNTIME_IMAGE.at(""),
    built_image=SERVING_RUNTIME_IMAGE,
    # Confidence and predictions from the runtime, drift and accuracy from the quality monitor.
    quality_series=frozenset(QUALITY_SERIES),
    frameworks=("sklearn", "xgboost", "pyfunc"),
    http_port=8080,
    grpc_port=8081,
    metrics_port=8082,
    # Loading a classical model takes seconds; allow 5 minutes for slow image pulls of the env.
    startup=Probe("/v2/health/live", period_seconds=10, failure_threshold=30),
    readiness=Probe("/v2/health/ready", period_seconds=5, failure_threshold=3),
    liveness=Probe("/v2/health/live", period_seconds=10, failure_threshold=3),
)


# NVIDIA Triton Inference Server for deep-learning models (ONNX, TensorRT, PyTorch, TensorFlow).
#
# Model layout: the registered MLflow artifact IS a Triton model repository holding one model
# directory named exactly like the catalogue entry, so after the download:
#
# /mnt/models/model/                 <- --model-repository
# <catalogue name>/config.pbtxt
# <catalogue name>/1/model.onnx    (model.plan, model.pt, model.savedmodel/ by framework)
#
# The pipeline logs it with `mlflow.log_artifacts(repository_dir, artifact_path="model")` and
# registers `runs:/<run id>/model`. The readiness probe asks for that model by name, so an artifact
# laid out differently never becomes ready and the rollout stops with the old pods serving.
TRITON = RuntimePreset(
    name="triton",
    # 25.10: CUDA 13.0; on data-center GPUs (T4, L4, A100, H100) it runs on driver R535+ through
    # CUDA forward compatibility [TRITON-REL], so GKE's DEFAULT and LATEST drivers both work.
    image="nvcr.io/nvidia/tritonserver:25.10-py3",
    frameworks=("onnx", "tensorrt", "pytorch", "tensorflow"),
    http_port=8000,
    grpc_port=8001,
    metrics_port=8002,
    run_as_user=1000,  # triton-server, created with UID 1000 in the image for running non-root [TRITON-IMG]
    gpu=True,
    # Large models take minutes to load onto the GPU; the HTTP endpoint answers only after loading.
    startup=Probe("/v2/health/ready", period_seconds=10, failure_threshold=90, timeout_seconds=5),  # 15 min
    readiness=Probe(f"/v2/models/{MODEL_PLACEHOLDER}/ready", period_seconds=5, failure_threshold=3, timeout_seconds=5),
    liveness=Probe("/v2/health/live", period_seconds=10, failure_threshold=6, timeout_seconds=5),
    # Python-backend models and CUDA IPC pass tensors through /dev/shm; the container default is 64 MiB.
    shared_memory="1Gi",
)


# vLLM's OpenAI-compatible server for generative models (Hugging Face transformers layout).
#
# The registered MLflow artifact is the model directory itself (config.json, tokenizer files,
# *.safetensors), served from /mnt/models/model under the catalogue name. Weights come only from
# the registry: the server runs offline and never calls the Hugging Face Hub.
VLLM = RuntimePreset(
    name="vllm",
    # The CUDA 12.9 build: this line's default tags are built for CUDA 13, which needs driver R580+,
    # and the vLLM image carries no forward-compatibility libraries for older drivers.
    image="docker.io/vllm/vllm-openai:v0.20.2-cu129-ubuntu2404",
    frameworks=("transformers",),
    http_port=8000,
    metrics_port=8000,  # /metrics on the API port [VLLM-METRICS]
    run_as_user=2000,  # the image's `vllm` user [VLLM-DOCKER]; works without it too (HOME and USER are set)
    gpu=True,
    generative=True,
    # The port opens only after weights are on the GPU and CUDA graphs are captured: up to 30 min
    # for a large model on a cold node. /health fails once the engine is dead.
    startup=Probe("/health", period_seconds=10, failure_threshold=180, timeout_seconds=5),
    readiness=Probe("/health", period_seconds=5, failure_threshold=3, timeout_seconds=5),
    # A restart costs a full weight load: only restart after a minute of failures.
    liveness=Probe("/health", period_seconds=10, failure_threshold=6, timeout_seconds=5),
    # NCCL (tensor parallelism) and the API server/engine processes exchange data through /dev/shm.
    shared_memory="2Gi",
    # torch.compile and Triton kernel caches are written at start-up.
    scratch_storage="4Gi",
)

RUNTIMES: dict[str, RuntimePreset] = {preset.name: preset for preset in (MLSERVER, TRITON, VLLM)}


def runtime_for(name: str) -> RuntimePreset:
    try:
        return RUNTIMES[name]
    except KeyError:
        raise KeyError(f"unknown runtime {name!r}; known: {', '.join(sorted(RUNTIMES))}") from None
