"""Catalogue fields of GPU models (serving.gpu, serving.sharedMemory, serving.llm) and the framework a
runtime takes: the shipped GPU entries load with their defaults, and every mistake is reported with
its file, field and fix, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from catalogue.loader import load_catalogue
from core.problems import ConfigError

MODELS = Path(__file__).resolve().parent.parent / "models"


def shipped(name: str) -> dict:
    return yaml.safe_load((MODELS / f"{name}.yaml").read_text())


def problems_of(tmp_path: Path, document: dict) -> list[str]:
    directory = tmp_path / "models"
    directory.mkdir(parents=True)
    (directory / f"{document['name']}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    with pytest.raises(ConfigError) as caught:
        load_catalogue(directory, display_root=tmp_path)
    return [str(p) for p in caught.value.problems]


def with_serving(name: str, **changes) -> dict:
    document = shipped(name)
    document["serving"] = {**document["serving"], **changes}
    return document


def without_serving(name: str, *keys: str) -> dict:
    document = shipped(name)
    document["serving"] = {k: v for k, v in document["serving"].items() if k not in keys}
    return document


def test_shipped_gpu_entries_load_with_their_gpu_llm_and_defaults():
    catalogue = load_catalogue(MODELS)
    classifier = next(m for m in catalogue.models if m.name == "image-classifier")
    assistant = next(m for m in catalogue.models if m.name == "support-assistant")
    assert (classifier.serving.runtime, classifier.serving.framework) == ("triton", "onnx")
    gpu = classifier.serving.gpu
    assert (gpu.accelerator, gpu.count, gpu.spot, gpu.sharing_acceptable, gpu.mig_partition_size) == (
        "nvidia-l4",
        1,
        None,
        False,
        None,
    )
    assert classifier.serving.llm is None
    assert (assistant.serving.runtime, assistant.serving.framework) == ("vllm", "transformers")
    llm = assistant.serving.llm
    assert (llm.max_model_len, llm.max_num_seqs, llm.max_num_batched_tokens, llm.chunked_prefill) == (
        4096,
        32,
        8192,
        False,
    )
    assert (llm.gpu_memory_utilization, llm.dtype) == (0.9, "bfloat16")
    for model in (classifier, assistant):
        assert "local" not in model.environments  # the local stack has no GPU nodes


def test_llm_defaults_live_in_the_schema(tmp_path):
    document = with_serving("support-assistant", llm={"maxModelLen": 2048})
    (directory := tmp_path / "models").mkdir()
    (directory / "support-assistant.yaml").write_text(yaml.safe_dump(document))
    llm = load_catalogue(directory).models[0].serving.llm
    assert (
        llm.max_num_seqs,
        llm.max_num_batched_tokens,
        llm.chunked_prefill,
        llm.gpu_memory_utilization,
        llm.dtype,
    ) == (256, None, False, 0.9, "auto")


@pytest.mark.parametrize(
    "runtime, framework, allowed",
    [
        ("triton", "sklearn", "onnx, tensorrt, pytorch, tensorflow"),
        ("vllm", "onnx", "transformers"),
        ("mlserver", "transformers", "sklearn, xgboost, pyfunc"),
    ],
)
def test_a_framework_runs_only_on_its_runtime(tmp_path, runtime, framework, allowed):
    name = {"triton": "image-classifier", "vllm": "support-assistant", "mlserver": "churn-prediction"}[runtime]
    (problem,) = problems_of(tmp_path, with_serving(name, framework=framework))
    assert problem.startswith(
        f"models/{name}.yaml: serving.framework: {framework} models do not run on runtime {runtime}"
    )
    assert f"(fix: use a framework of {runtime} ({allowed}), or runtime " in problem


def test_gpu_runtime_without_gpu_says_what_to_add(tmp_path):
    (problem,) = problems_of(tmp_path, without_serving("image-classifier", "gpu"))
    assert problem.startswith("models/image-classifier.yaml: serving.gpu: runtime triton serves on GPUs")
    assert "(fix: add gpu: {accelerator: nvidia-l4, count: 1}" in problem


def test_cpu_runtime_refuses_gpu_and_shared_memory(tmp_path):
    problems = problems_of(
        tmp_path, with_serving("churn-prediction", gpu={"accelerator": "nvidia-l4"}, sharedMemory="1Gi")
    )
    assert problems == [
        "models/churn-prediction.yaml: serving.gpu: runtime mlserver runs on CPU nodes "
        "(fix: remove gpu, or use runtime triton or vllm)",
        "models/churn-prediction.yaml: serving.sharedMemory: runtime mlserver mounts no /dev/shm volume (fix: remove sharedMemory)",
    ]


def test_unknown_accelerator_lists_the_known_ones(tmp_path):
    (problem,) = problems_of(tmp_path, with_serving("image-classifier", gpu={"accelerator": "nvidia-l40s"}))
    assert problem.startswith(
        "models/image-classifier.yaml: serving.gpu.accelerator: 'nvidia-l40s' is not a GPU type in the catalogue"
    )
    assert "(fix: use one of nvidia-tesla-t4," in problem and "nvidia-l4," in problem


def test_gpu_count_below_one(tmp_path):
    (problem,) = problems_of(tmp_path, with_serving("image-classifier", gpu={"accelerator": "nvidia-l4", "count": 0}))
    assert problem.startswith("models/image-classifier.yaml: serving.gpu.count: count 0 asks for no GPU (fix: ")


@pytest.mark.parametrize(
    "accelerator, size, message, fix",
    [
        (
            "nvidia-l4",
            "1g.5gb",
            "nvidia-l4 has no multi-instance GPU partitions in the catalogue",
            "remove migPartitionSize",
        ),
        (
            "nvidia-tesla-a100",
            "1g.10gb",
            "'1g.10gb' is not a partition size GKE offers for nvidia-tesla-a100",
            "use one of 1g.5gb, 2g.10gb, 3g.20gb, 7g.40gb",
        ),
    ],
)
def test_mig_partition_must_exist_for_the_accelerator(tmp_path, accelerator, size, message, fix):
    document = with_serving("image-classifier", gpu={"accelerator": accelerator, "migPartitionSize": size})
    (problem,) = problems_of(tmp_path, document)
    assert problem.startswith(f"models/image-classifier.yaml: serving.gpu.migPartitionSize: {message} (fix: {fix}")


def test_valid_mig_partition_loads(tmp_path):
    document = with_serving("image-classifier", gpu={"accelerator": "nvidia-tesla-a100", "migPartitionSize": "3g.20gb"})
    (directory := tmp_path / "models").mkdir()
    (directory / "image-classifier.yaml").write_text(yaml.safe_dump(document))
    assert load_catalogue(directory).models[0].serving.gpu.mig_partition_size == "3g.20gb"


def test_vllm_needs_token_limits_and_other_runtimes_refuse_them(tmp_path):
    (missing,) = problems_of(tmp_path / "a", without_serving("support-assistant", "llm"))
    assert missing.startswith("models/support-assistant.yaml: serving.llm: runtime vllm needs the model's token limits")
    assert "(fix: add llm: {maxModelLen: <context length>}" in missing
    (refused,) = problems_of(tmp_path / "b", with_serving("image-classifier", llm={"maxModelLen": 4096}))
    assert (
        refused == "models/image-classifier.yaml: serving.llm: runtime triton takes no token limits (fix: remove llm)"
    )


def test_batched_tokens_below_context_length_need_chunked_prefill(tmp_path):
    document = with_serving("support-assistant", llm={"maxModelLen": 8192, "maxNumBatchedTokens": 4096})
    (problem,) = problems_of(tmp_path / "a", document)
    assert problem == (
        "models/support-assistant.yaml: serving.llm.maxNumBatchedTokens: 4096 is below maxModelLen 8192: without "
        "chunked prefill a full-length prompt never fits one step (fix: raise it to at least 8192, or set chunkedPrefill: true)"
    )
    chunked = with_serving(
        "support-assistant", llm={"maxModelLen": 8192, "maxNumBatchedTokens": 4096, "chunkedPrefill": True}
    )
    (directory := tmp_path / "b" / "models").mkdir(parents=True)
    (directory / "support-assistant.yaml").write_text(yaml.safe_dump(chunked))
    assert load_catalogue(directory).models[0].serving.llm.chunked_prefill is True


@pytest.mark.parametrize("value", [0.0, 0.97, -0.1])
def test_gpu_memory_utilization_is_a_fraction_up_to_095(tmp_path, value):
    document = with_serving("support-assistant", llm={"maxModelLen": 4096, "gpuMemoryUtilization": value})
    (problem,) = problems_of(tmp_path, document)
    assert problem == (
        f"models/support-assistant.yaml: serving.llm.gpuMemoryUtilization: {value} is outside (0, 0.95] "
        "(fix: use a fraction such as 0.9)"
    )


def test_token_limits_are_positive_and_dtype_is_one_of_three(tmp_path):
    document = with_serving("support-assistant", llm={"maxModelLen": 0, "maxNumSeqs": -1, "dtype": "float32"})
    problems = problems_of(tmp_path, document)
    assert problems == [
        "models/support-assistant.yaml: serving.llm.maxModelLen: 0 is not a positive number of tokens or sequences "
        "(fix: use a number >= 1)",
        "models/support-assistant.yaml: serving.llm.maxNumSeqs: -1 is not a positive number of tokens or sequences "
        "(fix: use a number >= 1)",
        "models/support-assistant.yaml: serving.llm.dtype: 'float32' is not allowed (fix: use one of 'auto', 'float16' or 'bfloat16')",
    ]


def test_shared_memory_must_stay_below_the_memory_limit_it_counts_against(tmp_path):
    document = with_serving("support-assistant", sharedMemory="24Gi")
    (problem,) = problems_of(tmp_path / "a", document)
    assert problem == (
        "models/support-assistant.yaml: serving.sharedMemory: 24Gi is not below limits.memory 24Gi, and /dev/shm counts "
        "against it (fix: raise resources.limits.memory, or set serving.sharedMemory lower)"
    )
    # Unset, the runtime's default is checked the same way and named as the default.
    small = without_serving("image-classifier", "sharedMemory")
    small["resources"] = {"requests": {"cpu": "1", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}
    (problem,) = problems_of(tmp_path / "b", small)
    assert problem.startswith(
        "models/image-classifier.yaml: serving.sharedMemory: 1Gi (the triton default) is not below limits.memory 1Gi"
    )


def test_every_serving_problem_of_an_entry_is_reported_at_once(tmp_path):
    document = with_serving(
        "churn-prediction",
        framework="onnx",
        gpu={"accelerator": "nvidia-l4"},
        sharedMemory="1Gi",
        llm={"maxModelLen": 1024},
    )
    problems = problems_of(tmp_path, document)
    assert [p.split(": ")[1] for p in problems] == [
        "serving.framework",
        "serving.gpu",
        "serving.sharedMemory",
        "serving.llm",
    ]
    assert all("(fix: " in p for p in problems)


def test_unknown_gpu_key_is_named_with_a_suggestion(tmp_path):
    document = with_serving("image-classifier", gpu={"accelerator": "nvidia-l4", "spotOnly": True})
    (problem,) = problems_of(tmp_path, document)
    assert problem.startswith("models/image-classifier.yaml: serving.gpu.spotOnly: unknown key")
    assert "spot" in problem and "sharingAcceptable" in problem
