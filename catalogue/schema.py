"""The schema of one catalogue entry, `models/<name>.yaml`.

This class is the single definition of what a model entry may say and of every catalogue default;
`models/schema.json` is generated from it (`python -m catalogue.export_schema`) so editors can validate
as you type, and a test keeps the two in sync.
"""
from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from settings.base import Spec
from settings.quantities import Quantity, parse_quantity

ENVIRONMENTS = ("local", "dev", "staging", "prod")
Environment = Literal["local", "dev", "staging", "prod"]

# A model name becomes a namespace (with a prefix), a Deployment and label values: a DNS label, kept
# short enough that "<prefix><name>-primary" (Flagger) still fits the 63-character limit.
ModelName = Annotated[str, StringConstraints(pattern=r"^[a-z]([-a-z0-9]*[a-z0-9])?$", max_length=40)]
LabelValue = Annotated[str, StringConstraints(pattern=r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", max_length=63)]
EnvVarName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
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
            raise ValueError(f"evidence rule for tag {self.tag!r} needs exactly one of equals, max, min (fix: keep one)")
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
            "champion": None if self.champion is None else {"metrics": list(self.champion.metrics), "margin": self.champion.margin},
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


class Serving(Spec):
    runtime: Literal["mlserver"] = Field(description="Serving runtime preset (see components/runtimes.py).")
    framework: Literal["sklearn", "xgboost", "pyfunc"] = Field(description="Model flavour, as logged in MLflow.")
    model_storage: Quantity = Field("2Gi", description="Size of the emptyDir the model is downloaded into.")


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
    gates: Gates = Field(default_factory=Gates, description="Deployment gates; an environment may replace them.")
    env: dict[EnvVarName, str] = Field(default_factory=dict, description="Extra environment variables of the server.")
    labels: dict[str, LabelValue] = Field(default_factory=dict, description="Extra labels on every object.")

    @field_validator("labels")
    @classmethod
    def _label_keys(cls, labels: dict[str, str]) -> dict[str, str]:
        for key in labels:
            if not LABEL_KEY.match(key):
                raise ValueError(f"label key {key!r} is not a valid Kubernetes label key (fix: use [prefix/]name, e.g. cost-center)")
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
    def _environment_bounds(self):
        for env_name in self.environments:
            low, high = self.replica_bounds(env_name)
            if high < low:
                raise ValueError(
                    f"environments.{env_name}: maxReplicas {high} is below minReplicas {low} "
                    "(fix: raise maxReplicas or lower minReplicas)"
                )
        return self
