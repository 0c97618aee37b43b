"""Deployment gates of a catalogue entry: metric floors, the champion comparison, required evidence.

Floors of metrics that are fractions (accuracy, F1, ...: facts/run_metrics.py) must lie in [0, 1]: a
floor of 85 for accuracy can never pass, and is caught here with its file and key instead of refusing
every version at the registry.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from core.problems import Invalid
from core.spec import Spec
from facts.run_metrics import is_fraction


class EvidenceRule(Spec):
    """A model-version tag the training pipeline must have set after its checks."""

    tag: str = Field(description="Model-version tag name, e.g. scan.max_cvss.")
    equals: str | None = Field(None, description="The tag must have exactly this value.")
    max: float | None = Field(None, description="The tag is a number and must be at most this.")
    min: float | None = Field(None, description="The tag is a number and must be at least this.")

    @model_validator(mode="after")
    def _one_condition(self):
        if sum(v is not None for v in (self.equals, self.max, self.min)) != 1:
            raise Invalid(f"evidence rule for tag {self.tag!r} needs exactly one of equals, max, min", "keep one")
        return self


class ChampionGate(Spec):
    """The candidate must beat the champion by `margin` on at least one of `metrics`."""

    metrics: tuple[str, ...] = Field(("accuracy", "f1_weighted"), min_length=1)
    margin: float = Field(0.01, ge=0, lt=1, description="Absolute improvement required; 0.01 = 1 percentage point.")


class Gates(Spec):
    min_metrics: dict[str, float] = Field(default_factory=dict, description="Run metric -> minimum value.")
    champion: ChampionGate | None = Field(None, description="Champion-versus-challenger comparison; off when absent.")
    evidence: tuple[EvidenceRule, ...] = Field((), description="Tags a version must carry to be deployed.")

    @field_validator("min_metrics")
    @classmethod
    def _fraction_floors(cls, floors: dict[str, float]) -> dict[str, float]:
        for metric, floor in floors.items():
            if is_fraction(metric) and not 0 <= floor <= 1:
                raise Invalid(
                    f"{metric} floor {floor:g} is outside [0, 1], and {metric} is a fraction: no version can pass",
                    f"write it as a fraction, e.g. {metric}: {floor / 100:g}" if 1 < floor <= 100 else "use 0 to 1",
                )
        return floors

    def as_input(self) -> dict:
        """Plain snake_case dict for the ModelVersion resource."""
        return {
            "min_metrics": dict(self.min_metrics),
            "champion": None
            if self.champion is None
            else {"metrics": list(self.champion.metrics), "margin": self.champion.margin},
            "evidence": [r.model_dump(exclude_none=True) for r in self.evidence],
        }
