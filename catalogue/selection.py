"""Which registered version each environment deploys, and what it overrides there."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from catalogue.gates_spec import Gates
from core.problems import Invalid
from core.spec import Spec

MAX_REPLICAS = 200  # a guard against a typo (2000 for 20), not a capacity plan: raise it deliberately


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

    @field_validator("alias")
    @classmethod
    def _alias_named(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise Invalid("alias is empty", "name an MLflow alias, e.g. alias: champion")
        return value.strip() if value is not None else None

    @model_validator(mode="after")
    def _exactly_one(self):
        chosen = [k for k in ("alias", "stage", "version", "latest") if getattr(self, k) is not None]
        if len(chosen) != 1:
            raise Invalid(
                f"selects {', '.join(chosen) or 'nothing'}; an environment selects exactly one version",
                "set exactly one of alias, stage, version, latest",
            )
        return self

    def selector(self) -> dict:
        """The selector as the ModelVersion resource takes it, e.g. {"alias": "champion"}."""
        for key in ("alias", "stage", "version", "latest"):
            value = getattr(self, key)
            if value is not None:
                return {key: value}
        raise AssertionError("unreachable: validated to have exactly one selector")


class EnvironmentSpec(VersionSelector):
    """What one environment deploys, with optional per-environment scale and gates."""

    min_replicas: int | None = Field(None, ge=1, le=MAX_REPLICAS, description="Overrides autoscaling.minReplicas here.")
    max_replicas: int | None = Field(None, ge=1, le=MAX_REPLICAS, description="Overrides autoscaling.maxReplicas here.")
    gates: Gates | None = Field(None, description="Replaces the model-level gates in this environment.")
