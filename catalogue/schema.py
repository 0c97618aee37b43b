"""The schema of one catalogue entry, `models/<name>.yaml`.

This class is the single definition of what a model entry may say and of every catalogue default;
`models/schema.json` is generated from it (`python -m catalogue.export_schema`) so editors can validate
as you type, and a test keeps the two in sync.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from catalogue.monitoring import Monitoring
from core.environments import Environment
from core.names import LABEL_KEY, LabelValue
from core.quantities import Quantity, parse_quantity
from core.spec import Spec
from facts import gpus
from facts.runtimes import RUNTIMES, runtime_for

# A model name becomes a namespace (with a prefix), a Deployment and label values: a DNS label, kept
# short enough that "<prefix><name>-primary" (Flagger) still fits the 63-character limit.
ModelName = Annotated[str, StringConstraints(pattern=r"^[a-z]([-a-z0-9]*[a-z0-9])?$", max_length=40)]
EnvVarName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
# Keys the platform sets itself; letting an entry override them would break selectors and dashboards.
RESERVED_LABEL_PREFIXES = ("app.kubernetes.io/", "mlops.platform/")
RESERVED_ENV_PREFIXES = ("MLSERVER_", "MLFLOW_")


class VersionSelector(Spec):
    """Which registered version an environment deploys: exactly one of alias, stage, version, latest."""

    alias: str | None = Field(None, description="MLflow alias, the preferred selector (e.g. champion).")
    stage: Literal["Staging", "Production"] | None = Field(
        None, description="Legacy MLflow stage; works, but stages are deprecated since MLflow 2.9."
    )
    version: int | None = Field(
        None, ge=1, description="A pinned version. Bypasses quality gates (never evidence): how a rollback is forced."
    )
    latest: Literal[True] | None = Field(None, description="The highest READY version.")

    @model_validator(mode="after")
    def _exactly_one(self):
        chosen = [k for k in ("alias", "stage", "version", "latest") if getattr(self, k) is not None]
        if len(chosen) != 1:
            raise ValueError(
                f"selects {', '.join(chosen) or 'nothing'}; an environment selects exactly one version "
                "(fix: set exactly one of alias, stage, version, latest)"
            )
        return self

    def selector(self) -> dict:
        """The selector as the ModelVersion resource takes it, e.g. {"alias": "champion"}."""
        for key in ("alias", "stage", "version", "latest"):
            value = getattr(self, key)
            if value is not None:
                return {key: value}
        raise AssertionError("unreachable: validated to have exactly one selector")


class EvidenceRule(Spec):
    """A model-version tag the training pipeline must have set after its checks."""

    tag: str = Field(description="Model-version tag name, e.g. scan.max_cvss.")
    equals: str | None = Field(None, description="The tag must have exactly this value.")
    max: float | None = Field(None, description="The tag is a number and must be at most this.")
    min: float | None = Field(None, description="The tag is a number and must be at least this.")

    @model_validator(mode="after")
    def _one_condition(self):
        if sum(v is not None for v in (self.equals, self.max, self.min)) != 1:
            raise ValueError(
                f"evidence rule for tag {self.tag!r} needs exactly one of equals, max, min (fix: keep one)"
            )
        return self


class ChampionGate(Spec):
    """The candidate must beat the champion by `margin` on at least one of `metrics`."""

    metrics: tuple[str, ...] = Field(("accuracy", "f1_weighted"), min_length=1)
    margin: float = Field(0.01, ge=0, lt=1, description="Absolute improvement required; 0.01 = 1 percentage point.")


class Gates(Spec):
    min_metrics: dict[str, float] = Field(default_factory=dict, description="Run metric -> minimum value.")
    champion: ChampionGate | None = Field(None, description="Champion-versus-challenger comparison; off when absent.")
    evidence: tuple[EvidenceRule, ...] = Field((), description="Tags a version must carry to be deployed.")

    def as_input(self) -> dict:
        """Plain snake_case dict for the ModelVersion resource."""
        return {
            "min_metrics": dict(self.min_metrics),
            "champion": None
            if self.champion is None
            else {"metrics": list(self.champion.metrics), "margin": self.champion.margin},
            "evidence": [r.model_dump(exclude_none=True) for r in self.evidence],
        }


class EnvironmentSpec(VersionSelector):
    """What one environment deploys, with optional per-environment scale and gates."""

    min_replicas: int | None = Field(None, ge=1, description="Overrides autoscaling.minReplicas here.")
    max_replicas: int | None = Field(None, ge=1, description="Overrides autoscaling.maxReplicas here.")
    gates: Gates | None = Field(None, description="Replaces the model-level gates in this environment.")


class ResourceAmounts(Spec):
    cpu: Quantity
    memory: Quantity


class Resources(Spec):
    requests: ResourceAmounts
    limits: ResourceAmounts

    @model_validator(mode="after")
    def _limits_cover_requests(self):
        for kind in ("cpu", "memory"):
            request, limit = getattr(self.requests, kind), getattr(self.limits, kind)
            if parse_quantity(str(limit)) < parse_quantity(str(request)):
                raise ValueError(
                    f"limits.{kind} {limit} is below requests.{kind} {request} (fix: raise the limit or lower the request)"
                )
        return self


class Autoscaling(Spec):
    min_replicas: int = Field(2, ge=1, description="Two by default so a node drain never takes the model down.")
    max_replicas: int = Field(10, ge=1)
    target_cpu_utilization: int = Field(70, ge=1, le=100, description="Percent of the CPU request.")
    target_memory_utilization: int = Field(80, ge=1, le=100, description="Percent of the memory request.")

    @model_validator(mode="after")
    def _bounds(self):
        if self.max_replicas < self.min_replicas:
            raise ValueError(
                f"maxReplicas {self.max_replicas} is below minReplicas {self.min_replicas} (fix: raise maxReplicas)"
            )
        return self


class Slo(Spec):
    """Service objectives; canary analysis and alerts read them."""

    latency_p99_ms: int = Field(500, ge=1)
    latency_p95_ms: int = Field(1000, ge=1, description="The SLA: rollback trigger when exceeded.")
    max_error_rate: float = Field(0.01, ge=0, le=1, description="Fraction of failed requests, 0.01 = 1%.")
    min_success_rate: float = Field(0.99, ge=0, le=1)


class Quality(Spec):
    """Model-quality thresholds; canary analysis and alerts read them."""

    min_accuracy: float = Field(0.85, ge=0, le=1)
    max_accuracy_drop: float = Field(0.05, ge=0, le=1, description="Rollback when accuracy falls this much.")
    max_drift: float = Field(0.3, ge=0, le=1, description="Data-drift score allowed during canary analysis.")
    rollback_drift: float = Field(0.5, ge=0, le=1, description="Drift score that triggers a rollback.")
    min_confidence: float = Field(0.7, ge=0, le=1)


# Runtime and framework names come from the runtime presets (facts/runtimes.py), the one place
# that says which model server runs which model flavour.
RuntimeName = Literal[tuple(RUNTIMES)]
Framework = Literal[tuple(dict.fromkeys(f for preset in RUNTIMES.values() for f in preset.frameworks))]


def _raise_located(title: str, problems: list[tuple[tuple[str, ...], str]]) -> None:
    """Raise every (camelCase location, "message (fix: ...)") at once, each on its own key."""
    if problems:
        raise ValidationError.from_exception_data(
            title,
            [
                InitErrorDetails(
                    type=PydanticCustomError("invalid_entry", "{message}", {"message": message}), loc=loc, input=None
                )
                for loc, message in problems
            ],
        )


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
        for problem in gpus.accelerator_problems(value):
            raise ValueError(problem)
        return value

    @field_validator("count")
    @classmethod
    def _positive_count(cls, value: int) -> int:
        if value < 1:
            raise ValueError(
                f"count {value} asks for no GPU (fix: ask for at least 1, or use runtime mlserver without serving.gpu)"
            )
        return value

    @model_validator(mode="after")
    def _partition_exists(self):
        _raise_located(
            "GpuSpec",
            [
                (("migPartitionSize",), problem)
                for problem in gpus.partition_problems(self.accelerator, self.mig_partition_size)
            ],
        )
        return self


class LlmSpec(Spec):
    """Token limits and memory of a generative model served by vLLM (its engine arguments)."""

    max_model_len: int = Field(
        description="Context length in tokens, prompt plus completion (--max-model-len).",
        json_schema_extra={"minimum": 1},
    )
    max_num_seqs: int = Field(
        256, description="Sequences decoded concurrently per server (--max-num-seqs).", json_schema_extra={"minimum": 1}
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
            raise ValueError(f"{value} is not a positive number of tokens or sequences (fix: use a number >= 1)")
        return value

    @field_validator("gpu_memory_utilization")
    @classmethod
    def _utilization(cls, value: float) -> float:
        # Above 0.95 the CUDA context, NCCL buffers and activations no longer fit beside the KV cache.
        if not 0 < value <= 0.95:
            raise ValueError(f"{value} is outside (0, 0.95] (fix: use a fraction such as 0.9)")
        return value

    @model_validator(mode="after")
    def _batch_holds_a_whole_prompt(self):
        if (
            self.max_num_batched_tokens is not None
            and not self.chunked_prefill
            and self.max_num_batched_tokens < self.max_model_len
        ):
            _raise_located(
                "LlmSpec",
                [
                    (
                        ("maxNumBatchedTokens",),
                        (
                            f"{self.max_num_batched_tokens} is below maxModelLen {self.max_model_len}: without chunked prefill "
                            f"a full-length prompt never fits one step (fix: raise it to at least {self.max_model_len}, "
                            "or set chunkedPrefill: true)"
                        ),
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
        problems = []
        if self.framework not in preset.frameworks:
            hosts = [name for name, p in RUNTIMES.items() if self.framework in p.frameworks]
            problems.append(
                (
                    ("framework",),
                    (
                        f"{self.framework} models do not run on runtime {self.runtime} "
                        f"(fix: use a framework of {self.runtime} ({', '.join(preset.frameworks)}), or runtime {', '.join(hosts)})"
                    ),
                )
            )
        gpu_runtimes = " or ".join(name for name, p in RUNTIMES.items() if p.gpu)
        if preset.gpu and self.gpu is None:
            problems.append(
                (
                    ("gpu",),
                    (
                        f"runtime {self.runtime} serves on GPUs and needs to know which "
                        "(fix: add gpu: {accelerator: nvidia-l4, count: 1} with an accelerator your stacks' GPU pools have)"
                    ),
                )
            )
        if not preset.gpu and self.gpu is not None:
            problems.append(
                (("gpu",), f"runtime {self.runtime} runs on CPU nodes (fix: remove gpu, or use runtime {gpu_runtimes})")
            )
        if preset.shared_memory is None and self.shared_memory is not None:
            problems.append(
                (("sharedMemory",), f"runtime {self.runtime} mounts no /dev/shm volume (fix: remove sharedMemory)")
            )
        if preset.generative and self.llm is None:
            problems.append(
                (
                    ("llm",),
                    (
                        f"runtime {self.runtime} needs the model's token limits "
                        "(fix: add llm: {maxModelLen: <context length>}; models/schema.json lists the other limits)"
                    ),
                )
            )
        if not preset.generative and self.llm is not None:
            problems.append((("llm",), f"runtime {self.runtime} takes no token limits (fix: remove llm)"))
        _raise_located("Serving", problems)
        return self

    @property
    def effective_shared_memory(self) -> str | None:
        """The /dev/shm size the pod gets: the entry's, else its runtime's default."""
        return str(self.shared_memory) if self.shared_memory is not None else runtime_for(self.runtime).shared_memory


class ModelSpec(Spec):
    name: ModelName = Field(description="Equals the file name; becomes the Deployment name and labels.")
    team: LabelValue = Field(description="Owning team; a label on every object.")
    description: str = Field(min_length=1)
    registered_model: str = Field(min_length=1, description="The MLflow registered model name.")
    serving: Serving
    environments: dict[Environment, EnvironmentSpec] = Field(
        min_length=1, description="Environments that serve this model and the version each deploys."
    )
    resources: Resources
    autoscaling: Autoscaling = Field(default_factory=Autoscaling)
    slo: Slo = Field(default_factory=Slo)
    quality: Quality = Field(default_factory=Quality)
    monitoring: Monitoring = Field(default_factory=Monitoring, description="Quality signals: samples, drift, accuracy.")
    gates: Gates = Field(default_factory=Gates, description="Deployment gates; an environment may replace them.")
    env: dict[EnvVarName, str] = Field(default_factory=dict, description="Extra environment variables of the server.")
    labels: dict[str, LabelValue] = Field(default_factory=dict, description="Extra labels on every object.")

    @field_validator("labels")
    @classmethod
    def _label_keys(cls, labels: dict[str, str]) -> dict[str, str]:
        for key in labels:
            if not LABEL_KEY.match(key):
                raise ValueError(
                    f"label key {key!r} is not a valid Kubernetes label key (fix: use [prefix/]name, e.g. cost-center)"
                )
            if key.startswith(RESERVED_LABEL_PREFIXES):
                raise ValueError(f"label key {key!r} is set by the platform (fix: remove it)")
        return labels

    @field_validator("env")
    @classmethod
    def _env_names(cls, env: dict[str, str]) -> dict[str, str]:
        for key in env:
            if key.startswith(RESERVED_ENV_PREFIXES):
                raise ValueError(f"environment variable {key!r} is set by the platform (fix: remove it)")
        return env

    def replica_bounds(self, environment: str) -> tuple[int, int]:
        """Autoscaling bounds in one environment: its override, else the model's."""
        env = self.environments[environment]
        low = env.min_replicas if env.min_replicas is not None else self.autoscaling.min_replicas
        high = env.max_replicas if env.max_replicas is not None else self.autoscaling.max_replicas
        return low, high

    def gates_for(self, environment: str) -> Gates:
        env = self.environments[environment]
        return env.gates if env.gates is not None else self.gates

    @model_validator(mode="after")
    def _shared_memory_fits_the_limit(self):
        # A memory-backed emptyDir is charged to the pod's memory: /dev/shm as large as the limit
        # leaves nothing for the server, which the kernel then kills when shm fills up.
        shm = self.serving.effective_shared_memory
        limit = self.resources.limits.memory
        if shm is not None and parse_quantity(shm) >= parse_quantity(str(limit)):
            source = "" if self.serving.shared_memory is not None else f" (the {self.serving.runtime} default)"
            _raise_located(
                "ModelSpec",
                [
                    (
                        ("serving", "sharedMemory"),
                        (
                            f"{shm}{source} is not below limits.memory {limit}, and /dev/shm counts against it "
                            "(fix: raise resources.limits.memory, or set serving.sharedMemory lower)"
                        ),
                    )
                ],
            )
        return self

    @model_validator(mode="after")
    def _environment_bounds(self):
        for env_name in self.environments:
            low, high = self.replica_bounds(env_name)
            if high < low:
                raise ValueError(
                    f"environments.{env_name}: maxReplicas {high} is below minReplicas {low} "
                    "(fix: raise maxReplicas or lower minReplicas)"
                )
        return self
