"""How a catalogue entry is served: runtime and framework, GPUs, and a generative model's limits.

Runtime and framework names come from the runtime presets (facts/runtimes.py); GPU facts from
facts/gpus.py. Cross-key checks raise every finding at once, each on its own key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from core.problems import Invalid
from core.quantities import Quantity
from core.spec import Located, Spec, located, raise_located
from facts import gpu_rules
from facts.runtimes import RUNTIMES, runtime_for

MAX_GPUS = 16  # the most any GKE machine type carries (a3/a4: 8; a2-megagpu: 16)

# Runtime and framework names come from the runtime presets (facts/runtimes.py), the one place
# that says which model server runs which model flavour.
# The Literals are built from that table at import time, which a static checker cannot evaluate: it
# sees plain strings, pydantic (and models/schema.json) the closed sets.
if TYPE_CHECKING:
    RuntimeName = str
    Framework = str
else:
    RuntimeName = Literal[tuple(RUNTIMES)]
    Framework = Literal[tuple(dict.fromkeys(f for preset in RUNTIMES.values() for f in preset.frameworks))]


class GpuSpec(Spec):
    """The GPUs one server container needs; the stack's GPU pool that fits is chosen at deploy time
    (plan/gpu_placement.py), so the same entry runs on every stack that has such a pool."""

    accelerator: str = Field(description="GKE accelerator type, e.g. nvidia-l4 (facts/gpus.py).")
    count: int = Field(
        1, description="GPUs per container; for vLLM also the tensor-parallel size.", json_schema_extra={"minimum": 1}
    )
    spot: bool | None = Field(
        None,
        description="true: spot GPUs only; false: on-demand only; unset: on-demand when the stack has it, "
        "else spot. Prod stacks always serve on on-demand GPUs.",
    )
    sharing_acceptable: bool = Field(False, description="A time-shared or MPS GPU is good enough (then count is 1).")
    mig_partition_size: str | None = Field(
        None, description="Run on a multi-instance GPU slice of this size, e.g. 3g.20gb."
    )

    @field_validator("accelerator")
    @classmethod
    def _known_accelerator(cls, value: str) -> str:
        for finding in gpu_rules.accelerator_problems(value):
            raise Invalid(finding.message, finding.fix)
        return value

    @field_validator("count")
    @classmethod
    def _positive_count(cls, value: int) -> int:
        if value < 1:
            raise Invalid(
                f"count {value} asks for no GPU", "ask for at least 1, or use runtime mlserver without serving.gpu"
            )
        if value > MAX_GPUS:
            raise Invalid(f"count {value} is more GPUs than any machine carries", f"ask for at most {MAX_GPUS}")
        return value

    @model_validator(mode="after")
    def _partition_exists(self):
        raise_located(
            "GpuSpec",
            [
                Located(("migPartitionSize",), finding)
                for finding in gpu_rules.partition_problems(self.accelerator, self.mig_partition_size)
            ],
        )
        return self


class LlmSpec(Spec):
    """Token limits and memory of a generative model served by vLLM (its engine arguments)."""

    max_model_len: int = Field(
        description="Context length in tokens, prompt plus completion (--max-model-len).",
        json_schema_extra={"minimum": 1},
        le=10_000_000,
    )
    max_num_seqs: int = Field(
        256,
        description="Sequences decoded concurrently per server (--max-num-seqs).",
        json_schema_extra={"minimum": 1},
        le=65_536,
    )
    max_num_batched_tokens: int | None = Field(
        None,
        description="Tokens per engine step (--max-num-batched-tokens); unset lets vLLM choose.",
        json_schema_extra={"minimum": 1},
    )
    chunked_prefill: bool = Field(
        False,
        description="Split long prompts over several steps (--enable-chunked-prefill); allows "
        "maxNumBatchedTokens below maxModelLen.",
    )
    gpu_memory_utilization: float = Field(
        0.9,
        description="Fraction of GPU memory vLLM takes for weights and KV cache (--gpu-memory-utilization).",
        json_schema_extra={"exclusiveMinimum": 0, "maximum": 0.95},
    )
    dtype: Literal["auto", "float16", "bfloat16"] = Field("auto", description="Weight and activation type (--dtype).")

    @field_validator("max_model_len", "max_num_seqs", "max_num_batched_tokens")
    @classmethod
    def _positive(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise Invalid(f"{value} is not a positive number of tokens or sequences", "use a number >= 1")
        return value

    @field_validator("gpu_memory_utilization")
    @classmethod
    def _utilization(cls, value: float) -> float:
        # Above 0.95 the CUDA context, NCCL buffers and activations no longer fit beside the KV cache.
        if not 0 < value <= 0.95:
            raise Invalid(f"{value} is outside (0, 0.95]", "use a fraction such as 0.9")
        return value

    @model_validator(mode="after")
    def _batch_holds_a_whole_prompt(self):
        if (
            self.max_num_batched_tokens is not None
            and not self.chunked_prefill
            and self.max_num_batched_tokens < self.max_model_len
        ):
            raise_located(
                "LlmSpec",
                [
                    located(
                        ("maxNumBatchedTokens",),
                        f"{self.max_num_batched_tokens} is below maxModelLen {self.max_model_len}: without chunked "
                        "prefill a full-length prompt never fits one step",
                        f"raise it to at least {self.max_model_len}, or set chunkedPrefill: true",
                    )
                ],
            )
        return self


class Serving(Spec):
    runtime: RuntimeName = Field(description="Serving runtime preset (see facts/runtimes.py).")
    framework: Framework = Field(
        description="Model flavour, as logged in MLflow: "
        + "; ".join(f"{', '.join(p.frameworks)} on {p.name}" for p in RUNTIMES.values())
        + "."
    )
    model_storage: Quantity = Field("2Gi", description="Size of the emptyDir the model is downloaded into.")
    gpu: GpuSpec | None = Field(
        None, description="GPUs per container: required for triton and vllm, refused for mlserver."
    )
    shared_memory: Quantity | None = Field(
        None,
        description="Size of /dev/shm (a memory-backed emptyDir counted against limits.memory); "
        "unset: the runtime's default ("
        + ", ".join(f"{p.name} {p.shared_memory}" for p in RUNTIMES.values() if p.shared_memory)
        + ").",
    )
    llm: LlmSpec | None = Field(
        None, description="Token limits of a generative model: required for vllm, refused otherwise."
    )

    @model_validator(mode="after")
    def _fits_runtime(self):
        preset = runtime_for(self.runtime)
        problems: list[Located] = []
        if self.framework not in preset.frameworks:
            hosts = [name for name, p in RUNTIMES.items() if self.framework in p.frameworks]
            problems.append(
                located(
                    ("framework",),
                    f"{self.framework} models do not run on runtime {self.runtime}",
                    f"use a framework of {self.runtime} ({', '.join(preset.frameworks)}), or runtime {', '.join(hosts)}",
                )
            )
        gpu_runtimes = " or ".join(name for name, p in RUNTIMES.items() if p.gpu)
        if preset.gpu and self.gpu is None:
            problems.append(
                located(
                    ("gpu",),
                    f"runtime {self.runtime} serves on GPUs and needs to know which",
                    "add gpu: {accelerator: nvidia-l4, count: 1} with an accelerator your stacks' GPU pools have",
                )
            )
        if not preset.gpu and self.gpu is not None:
            problems.append(
                located(
                    ("gpu",), f"runtime {self.runtime} runs on CPU nodes", f"remove gpu, or use runtime {gpu_runtimes}"
                )
            )
        if preset.shared_memory is None and self.shared_memory is not None:
            problems.append(
                located(("sharedMemory",), f"runtime {self.runtime} mounts no /dev/shm volume", "remove sharedMemory")
            )
        if preset.generative and self.llm is None:
            problems.append(
                located(
                    ("llm",),
                    f"runtime {self.runtime} needs the model's token limits",
                    "add llm: {maxModelLen: <context length>}; models/schema.json lists the other limits",
                )
            )
        if not preset.generative and self.llm is not None:
            problems.append(located(("llm",), f"runtime {self.runtime} takes no token limits", "remove llm"))
        raise_located("Serving", problems)
        return self

    @property
    def effective_shared_memory(self) -> str | None:
        """The /dev/shm size the pod gets: the entry's, else its runtime's default."""
        return str(self.shared_memory) if self.shared_memory is not None else runtime_for(self.runtime).shared_memory
