"""The schema of one catalogue entry, `models/<name>.yaml`.

This class is the single definition of what a model entry may say and of every catalogue default;
`models/schema.json` is generated from it (`python -m catalogue.export_schema`) so editors can validate
as you type, and a test keeps the two in sync.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, field_validator, model_validator

from catalogue.batch import BatchJob
from catalogue.delivery import Delivery
from catalogue.features_spec import Features
from catalogue.freshness import Freshness
from catalogue.gates_spec import ChampionGate, EvidenceRule, Gates
from catalogue.monitoring import Monitoring
from catalogue.resources_spec import Autoscaling, Quality, ResourceAmounts, Resources, Slo
from catalogue.selection import EnvironmentSpec, VersionSelector
from catalogue.serving_spec import GpuSpec, LlmSpec, Serving
from core.environments import Environment
from core.names import LABEL_KEY, LabelValue
from core.problems import Invalid
from core.quantities import parse_quantity
from core.spec import Spec, located, pattern_in_words, raise_located

# The sub-specs live in their own files; importing them from here keeps one entry point.
__all__ = [
    "Autoscaling",
    "BatchJob",
    "ChampionGate",
    "EnvironmentSpec",
    "EvidenceRule",
    "Features",
    "Freshness",
    "Gates",
    "GpuSpec",
    "LlmSpec",
    "ModelSpec",
    "Quality",
    "ResourceAmounts",
    "Resources",
    "Serving",
    "Slo",
    "VersionSelector",
]

# A model name becomes a namespace (with a prefix), a Deployment and label values: a DNS label, kept
# short enough that "<prefix><name>-primary" (Flagger) still fits the 63-character limit.
_MODEL_NAME = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
_ENV_VAR_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
ModelName = Annotated[
    str,
    StringConstraints(pattern=_MODEL_NAME, max_length=40),
    pattern_in_words(_MODEL_NAME, "lowercase letters, digits and '-', starting with a letter (e.g. churn-prediction)"),
]
EnvVarName = Annotated[
    str,
    StringConstraints(pattern=_ENV_VAR_NAME),
    pattern_in_words(_ENV_VAR_NAME, "letters, digits and '_', not starting with a digit (e.g. MODEL_THREADS)"),
]
# Keys the platform sets itself; letting an entry override them would break selectors and dashboards.
RESERVED_LABEL_PREFIXES = ("app.kubernetes.io/", "mlops.platform/")
RESERVED_ENV_PREFIXES = ("MLSERVER_", "MLFLOW_", "FEAST_")
# A CronJob's name leaves 11 characters of its 63 for the Job suffix: <model>-batch-<job> within 52.
BATCH_INFIX = "-batch-"
CRONJOB_NAME_MAX = 52


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
    delivery: Delivery = Field(default_factory=Delivery, description="Canary load test, autoscaling and fallback.")
    monitoring: Monitoring = Field(default_factory=Monitoring, description="Quality signals: samples, drift, accuracy.")
    gates: Gates = Field(default_factory=Gates, description="Deployment gates; an environment may replace them.")
    batch: tuple[BatchJob, ...] = Field((), description="Scheduled batch scoring jobs with the served version.")
    freshness: Freshness = Field(default_factory=Freshness, description="Alert when the served version gets old.")
    features: Features | None = Field(
        None, description="The Feast feature service the model reads; needs featureStore on the stack."
    )
    env: dict[EnvVarName, str] = Field(default_factory=dict, description="Extra environment variables of the server.")
    labels: dict[str, LabelValue] = Field(default_factory=dict, description="Extra labels on every object.")

    @field_validator("labels")
    @classmethod
    def _label_keys(cls, labels: dict[str, str]) -> dict[str, str]:
        for key in labels:
            if not LABEL_KEY.match(key):
                raise Invalid(
                    f"label key {key!r} is not a valid Kubernetes label key", "use [prefix/]name, e.g. cost-center"
                )
            if key.startswith(RESERVED_LABEL_PREFIXES):
                raise Invalid(f"label key {key!r} is set by the platform", "remove it")
        return labels

    @field_validator("env")
    @classmethod
    def _env_names(cls, env: dict[str, str]) -> dict[str, str]:
        for key in env:
            if key.startswith(RESERVED_ENV_PREFIXES):
                raise Invalid(f"environment variable {key!r} is set by the platform", "remove it")
        return env

    def replica_bounds(self, environment: str) -> tuple[int, int]:
        """Autoscaling bounds in one environment: its override, else the model's."""
        env = self.environment_spec(environment)
        low = env.min_replicas if env.min_replicas is not None else self.autoscaling.min_replicas
        high = env.max_replicas if env.max_replicas is not None else self.autoscaling.max_replicas
        return low, high

    def environment_spec(self, environment: str) -> EnvironmentSpec:
        """What this model deploys in `environment` (a name from settings or a run's outputs)."""
        for name, spec in self.environments.items():
            if name == environment:
                return spec
        raise KeyError(f"model {self.name} does not declare environment {environment}")

    def gates_for(self, environment: str) -> Gates:
        env = self.environment_spec(environment)
        return env.gates if env.gates is not None else self.gates

    @model_validator(mode="after")
    def _shared_memory_fits_the_limit(self):
        # A memory-backed emptyDir is charged to the pod's memory: /dev/shm as large as the limit
        # leaves nothing for the server, which the kernel then kills when shm fills up.
        shm = self.serving.effective_shared_memory
        limit = self.resources.limits.memory
        if shm is not None and parse_quantity(shm) >= parse_quantity(str(limit)):
            source = "" if self.serving.shared_memory is not None else f" (the {self.serving.runtime} default)"
            raise_located(
                "ModelSpec",
                [
                    located(
                        ("serving", "sharedMemory"),
                        f"{shm}{source} is not below limits.memory {limit}, and /dev/shm counts against it",
                        "raise resources.limits.memory, or set serving.sharedMemory lower",
                    )
                ],
            )
        return self

    @model_validator(mode="after")
    def _batch_jobs_fit(self):
        found = []
        seen: set[tuple[str, str]] = set()  # (environment, job name): one CronJob name per namespace
        for i, job in enumerate(self.batch):
            where = ("batch", i)
            runs_in = {(env, job.name) for env in (job.environments or self.environments)}
            if runs_in & seen:
                found.append(
                    located(
                        (*where, "name"),
                        f"job name {job.name!r} is used twice in {sorted(e for e, _ in runs_in & seen)}",
                        "give each job its own name, or run them in different environments",
                    )
                )
            seen |= runs_in
            if len(self.name) + len(BATCH_INFIX) + len(job.name) > CRONJOB_NAME_MAX:
                found.append(
                    located(
                        (*where, "name"),
                        f"CronJob name {self.name}{BATCH_INFIX}{job.name} is longer than {CRONJOB_NAME_MAX} characters",
                        f"shorten the job name to {max(1, CRONJOB_NAME_MAX - len(self.name) - len(BATCH_INFIX))} characters",
                    )
                )
            for env in job.environments or ():
                if env not in self.environments:
                    found.append(
                        located((*where, "environments"), f"{env!r} is not an environment of this model", "remove it")
                    )
            if self.serving.runtime != "mlserver":
                found.append(
                    located(
                        where,
                        f"batch jobs score MLflow pyfunc models; runtime {self.serving.runtime} is not one",
                        "remove the batch job, or serve the model with runtime mlserver",
                    )
                )
        raise_located("ModelSpec", found)
        return self

    def batch_jobs_in(self, environment: str) -> tuple[BatchJob, ...]:
        return tuple(j for j in self.batch if j.environments is None or environment in j.environments)

    @model_validator(mode="after")
    def _environment_bounds(self):
        for env_name in self.environments:
            low, high = self.replica_bounds(env_name)
            if high < low:
                raise Invalid(
                    f"environments.{env_name}: maxReplicas {high} is below minReplicas {low}",
                    "raise maxReplicas or lower minReplicas",
                )
        return self
