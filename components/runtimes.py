"""Serving runtime presets: image, ports, probes and start-up command of each model server.

Every runtime default lives here. A preset turns (model, version, model directory) into the
container's command and environment; the Deployment builder does the rest identically for all.

How the model reaches the server: an init container runs `mlflow artifacts download` for the exact
`models:/<registered model>/<version>` URI into an emptyDir, and the server loads it from local
disk. The server image needs no registry credentials, the version is immutable and visible on the
pod, and the same mechanism feeds every runtime (see README, "How a model reaches its server").
"""
from __future__ import annotations

from dataclasses import dataclass, field

MODEL_MOUNT = "/mnt/models"
MODEL_DIR = f"{MODEL_MOUNT}/model"
# The downloader: the MLflow client at the version this project is tested against.
DOWNLOADER_IMAGE = "ghcr.io/mlflow/mlflow:v3.17.2"


@dataclass(frozen=True)
class Probe:
    path: str
    period_seconds: int = 10
    failure_threshold: int = 3
    timeout_seconds: int = 2


@dataclass(frozen=True)
class ContainerPlan:
    command: tuple[str, ...]
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RuntimePreset:
    name: str
    image: str
    frameworks: tuple[str, ...]
    http_port: int
    metrics_port: int
    startup: Probe
    readiness: Probe
    liveness: Probe
    grpc_port: int | None = None
    metrics_path: str = "/metrics"
    run_as_user: int = 1000
    gpu: bool = False
    shared_memory: str | None = None  # size of /dev/shm, for runtimes that share tensors between processes

    def container(self, model_name: str, version: str) -> ContainerPlan:
        raise NotImplementedError


@dataclass(frozen=True)
class MLServerRuntime(RuntimePreset):
    """Seldon MLServer with its MLflow runtime: V2 inference protocol, Prometheus metrics built in,
    and it loads any MLflow-logged sklearn/XGBoost/pyfunc model from a local directory."""

    def container(self, model_name: str, version: str) -> ContainerPlan:
        return ContainerPlan(
            command=("mlserver", "start", MODEL_MOUNT),
            env={
                # No model-settings.json in the directory: MLServer loads one default model from these.
                "MLSERVER_MODEL_NAME": model_name,
                "MLSERVER_MODEL_VERSION": version,
                "MLSERVER_MODEL_IMPLEMENTATION": "mlserver_mlflow.MLflowRuntime",
                "MLSERVER_MODEL_URI": MODEL_DIR,
                "MLSERVER_HTTP_PORT": str(self.http_port),
                "MLSERVER_GRPC_PORT": str(self.grpc_port),
                "MLSERVER_METRICS_PORT": str(self.metrics_port),
                "MLSERVER_METRICS_ENDPOINT": self.metrics_path,
                # The root filesystem is read-only: metrics and temp files go to the /tmp emptyDir.
                "MLSERVER_METRICS_DIR": "/tmp/mlserver-metrics",
                "MLSERVER_LOAD_MODELS_AT_STARTUP": "true",
            },
        )


MLSERVER = MLServerRuntime(
    name="mlserver",
    image="docker.io/seldonio/mlserver:1.7.1-mlflow",
    frameworks=("sklearn", "xgboost", "pyfunc"),
    http_port=8080,
    grpc_port=8081,
    metrics_port=8082,
    # Loading a classical model takes seconds; allow 5 minutes for slow image pulls of the env.
    startup=Probe("/v2/health/live", period_seconds=10, failure_threshold=30),
    readiness=Probe("/v2/health/ready", period_seconds=5, failure_threshold=3),
    liveness=Probe("/v2/health/live", period_seconds=10, failure_threshold=3),
)

RUNTIMES: dict[str, RuntimePreset] = {preset.name: preset for preset in (MLSERVER,)}


def runtime_for(name: str) -> RuntimePreset:
    try:
        return RUNTIMES[name]
    except KeyError:
        raise KeyError(f"unknown runtime {name!r}; known: {', '.join(sorted(RUNTIMES))}") from None
