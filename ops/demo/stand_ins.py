"""Registry entries for the catalogue's GPU models in the demo and test registry: honest stand-ins.

Real weights (a ResNet ONNX file, an instruct LLM's safetensors) cannot be fetched here, and the demo
renders manifests, it never starts Triton or vLLM. So each version registers a small directory laid
out the way the runtime expects (facts/runtimes.py), with a README saying what a real pipeline
logs there, and the run carries metrics of the kind such a model is judged by. Every version is tagged
`demo.stand_in=true`, so no one mistakes it for a servable model.

- image-classifier (Triton): champion v1 accuracy 0.781 / top5 0.937; challenger v2 0.796 / 0.948,
  better by 1.5 points: passes the champion gate.
- support-assistant (vLLM): champion v1 eval_score 0.820; challenger v2 0.836, better by 1.6 points,
  with a lower toxicity rate (an evidence tag the safety evaluation writes).

Seeded by ops/demo/registry.py seed_demo_registry with the trained models, idempotently (the same
`demo.seed` fingerprint tag).
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ops.demo.mlflow_seeding import (
    DEMO_EXPERIMENT,
    SEED_TAG,
    SeededVersion,
    register_version,
    seed_version,
    tracking_scope,
)

STAND_IN_TAG = "demo.stand_in"


@dataclass(frozen=True)
class StandInVersion:
    alias: str  # "champion" | "challenger"
    metrics: tuple[tuple[str, float], ...]
    scan_max_cvss: float  # what the image scan found; the evidence gate blocks > 7.0
    extra_tags: tuple[tuple[str, str], ...] = ()  # evidence besides validation, scan and compliance


@dataclass(frozen=True)
class StandInModel:
    name: str
    params: tuple[tuple[str, str], ...]  # what the run says the model is
    files: tuple[tuple[str, str], ...]  # the artifact directory: relative path -> text
    versions: tuple[StandInVersion, ...]  # registered in this order: v1, v2, ...


_CLASSIFIER_README = """\
# image-classifier: demo stand-in (no weights)

Served by Triton (facts/runtimes.py, TritonRuntime). The registered artifact is a Triton model
repository with ONE model directory named like the catalogue entry:

    image-classifier/config.pbtxt
    image-classifier/1/model.onnx      <- a real pipeline logs the exported ONNX graph here

A real pipeline logs it with `mlflow.log_artifacts(repository_dir, artifact_path="model")` and registers
`runs:/<run id>/model`. This stand-in has no model.onnx: Triton would refuse to load it, which is right.
"""

_CLASSIFIER_CONFIG = """\
name: "image-classifier"
platform: "onnxruntime_onnx"
max_batch_size: 32
input [ { name: "input", data_type: TYPE_FP32, dims: [ 3, 224, 224 ] } ]
output [ { name: "logits", data_type: TYPE_FP32, dims: [ 1000 ] } ]
dynamic_batching { max_queue_delay_microseconds: 2000 }
instance_group [ { count: 1, kind: KIND_GPU } ]
"""

_ASSISTANT_README = """\
# support-assistant: demo stand-in (no weights)

Served by vLLM (facts/runtimes.py, VllmRuntime) from the artifact directory itself, which must be
a plain Hugging Face model directory:

    config.json  generation_config.json  tokenizer.json  tokenizer_config.json  model*.safetensors

A real pipeline logs that directory with `mlflow.log_artifacts(model_dir, artifact_path="model")`, NOT with
`mlflow.transformers.log_model` (that flavour nests weights and tokenizer in sub-directories vLLM cannot
read). This stand-in holds no weights: vLLM would refuse to start on it, which is right.
"""

STAND_IN_MODELS: tuple[StandInModel, ...] = (
    StandInModel(
        "image-classifier",
        (("architecture", "resnet50"), ("format", "onnx"), ("input", "3x224x224")),
        (
            ("README.md", _CLASSIFIER_README),
            ("image-classifier/config.pbtxt", _CLASSIFIER_CONFIG),
            ("image-classifier/1/README.md", "model.onnx goes here (version directory 1 of the Triton repository).\n"),
        ),
        (
            StandInVersion("champion", (("accuracy", 0.781), ("top5_accuracy", 0.937)), scan_max_cvss=5.3),
            StandInVersion("challenger", (("accuracy", 0.796), ("top5_accuracy", 0.948)), scan_max_cvss=4.1),
        ),
    ),
    StandInModel(
        "support-assistant",
        (("base_model", "1.5B-parameter instruct model"), ("format", "safetensors"), ("dtype", "bfloat16")),
        (("README.md", _ASSISTANT_README),),
        (
            StandInVersion(
                "champion",
                (("eval_score", 0.820), ("win_rate", 0.500)),
                scan_max_cvss=5.9,
                extra_tags=(("safety.toxicity_rate", "0.006"),),
            ),
            StandInVersion(
                "challenger",
                (("eval_score", 0.836), ("win_rate", 0.570)),
                scan_max_cvss=4.7,
                extra_tags=(("safety.toxicity_rate", "0.004"),),
            ),
        ),
    ),
)


def fingerprint(model: StandInModel, version: StandInVersion) -> str:
    return hashlib.sha256(repr((model.name, model.params, model.files, version)).encode()).hexdigest()[:16]


def log_and_register_files(
    tracking_uri: str,
    registered_name: str,
    files: tuple[tuple[str, str], ...],
    metrics: dict,
    *,
    tags: dict,
    params: dict,
    experiment: str,
) -> str:
    """Logs `files` as the run's `model` artifact directory with `metrics`, registers it as a new version
    WITH `tags` (one call) and returns the version number."""
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri)
    with tracking_scope(tracking_uri), tempfile.TemporaryDirectory() as directory:
        for relative, text in files:
            path = Path(directory, relative)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        found = client.get_experiment_by_name(experiment)
        experiment_id = found.experiment_id if found else client.create_experiment(experiment)
        with mlflow.start_run(experiment_id=experiment_id) as run:
            mlflow.log_metrics(metrics)
            mlflow.log_params(params)
            mlflow.log_artifacts(directory, artifact_path="model")
    return register_version(client, registered_name, f"{run.info.artifact_uri}/model", run.info.run_id, tags)


def seed_stand_ins(
    registry, tracking_uri: str, models: tuple[StandInModel, ...] = STAND_IN_MODELS
) -> list[SeededVersion]:
    """Registers every missing stand-in version and points its alias at it; -> [SeededVersion]."""
    seeded = []
    for model in models:
        for spec in model.versions:
            mark = fingerprint(model, spec)

            def register(model=model, spec=spec, mark=mark) -> tuple[str, dict]:
                metrics = dict(spec.metrics)
                tags = {
                    SEED_TAG: mark,
                    STAND_IN_TAG: "true",
                    "validation.data": "passed",
                    "scan.max_cvss": spec.scan_max_cvss,
                    "compliance": "approved",
                    **dict(spec.extra_tags),
                }
                version = log_and_register_files(
                    tracking_uri,
                    model.name,
                    model.files,
                    metrics,
                    tags=tags,
                    params=dict(model.params),
                    experiment=DEMO_EXPERIMENT,
                )
                return version, metrics

            seeded.append(seed_version(registry, model.name, spec.alias, mark, register))
    return seeded
