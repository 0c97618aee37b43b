"""The `monitoring` section of a catalogue entry: how a model's quality signals are produced.

Defaults and where they come from:
- driftSchedule "*/5 * * * *": the source documents check model health every 5 minutes and analyse
  canaries over 5-minute intervals, so the drift and accuracy series are at most 5 minutes old.
- canaryChecks: the source documents' canary analysis uses confidence, drift and accuracy; unset here
  means "every one of them this model really has" (plan/quality_signals.py), so a canary never queries
  a series nobody exports.
- sampleRate 0.1, driftWindow 1h, minSamples 100, minLabelled 50: the sources give no figures; these
  are this project's choices (a two-sample KS test on 100 rows detects a shift of about a fifth of
  the distribution at the 5% level; an hour keeps a low-traffic model above that floor).
- referenceArtifact reference/reference.csv: this project's artifact convention (docs/quality-signals.md).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from core.problems import Invalid
from core.spec import Spec, located, raise_located
from facts.quality_samples import DEFAULT_REFERENCE_ARTIFACT

QualityCheck = Literal["confidence", "drift", "accuracy"]
QUALITY_CHECKS: tuple[QualityCheck, ...] = ("confidence", "drift", "accuracy")

_CRON_FIELD = r"(\*|\d+|\d+-\d+)(/\d+)?(,(\*|\d+|\d+-\d+)(/\d+)?)*"
_CRON = re.compile(rf"^{_CRON_FIELD}( {_CRON_FIELD}){{4}}$")
_DURATION = re.compile(r"^(\d+)([mhd])$")
_SECONDS = {"m": 60, "h": 3600, "d": 86400}
_LABEL_SCHEMES = ("file://", "http://", "https://", "gs://")


class LabelsSource(Spec):
    """Where ground-truth labels of served predictions arrive: JSON lines
    {"request_id": <the inference request id>, "row": <row in that request>, "label": <true class>}."""

    uri: str = Field(description="gs://bucket/object, http(s):// URL or file:// path of the JSON-lines labels.")
    min_labelled: int = Field(
        50, ge=1, description="Fewer labelled samples of a version than this in the window: no accuracy for it."
    )

    @field_validator("uri")
    @classmethod
    def _scheme(cls, value: str) -> str:
        if not value.startswith(_LABEL_SCHEMES) or len(value.split("://", 1)[1]) == 0:
            raise Invalid(
                f"{value!r} is not a labels location the monitor can read",
                f"use one of {', '.join(s + '...' for s in _LABEL_SCHEMES)}",
            )
        return value


class Monitoring(Spec):
    """Model-quality signals: samples from the serving runtime, drift and accuracy from the monitor."""

    enabled: bool = Field(True, description="Run the drift/accuracy monitor (CronJob) for this model.")
    sample_rate: float = Field(
        0.1, ge=0, le=1, description="Fraction of prediction rows the runtime writes as samples (0 = none)."
    )
    drift_schedule: str = Field("*/5 * * * *", description="Cron schedule of the drift/accuracy monitor.")
    drift_window: str = Field("1h", description="How far back the monitor reads samples, e.g. 30m, 1h, 1d.")
    min_samples: int = Field(
        100, ge=10, description="Fewer samples of a version than this in the window: no drift score for it."
    )
    reference_artifact: str = Field(
        DEFAULT_REFERENCE_ARTIFACT,
        description="Path, in the artifacts of the run that logged the model version, of the training "
        "reference CSV (header = feature names in input order).",
    )
    labels_source: LabelsSource | None = Field(None, description="Ground-truth labels; accuracy needs them.")
    canary_checks: tuple[QualityCheck, ...] | None = Field(
        None,
        description="Quality checks canary analysis runs (confidence, drift, accuracy); unset: every one "
        "this model's runtime and configuration can produce.",
    )

    @field_validator("drift_schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        if not _CRON.match(value.strip()):
            raise Invalid(f"{value!r} is not a five-field cron schedule", "e.g. '*/5 * * * *' for every 5 minutes")
        return value.strip()

    @field_validator("drift_window")
    @classmethod
    def _window(cls, value: str) -> str:
        match = _DURATION.match(value)
        if not match or int(match.group(1)) == 0:
            raise Invalid(f"{value!r} is not a duration", "a number and m, h or d, e.g. 30m or 1h")
        return value

    @field_validator("reference_artifact")
    @classmethod
    def _relative(cls, value: str) -> str:
        if not value or value.startswith("/") or ".." in value.split("/") or "://" in value:
            raise Invalid(
                f"{value!r} is not a path inside the run's artifacts",
                f"a relative path such as {DEFAULT_REFERENCE_ARTIFACT}",
            )
        return value

    @field_validator("canary_checks")
    @classmethod
    def _distinct(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None and len(set(value)) != len(value):
            raise Invalid(f"{list(value)} names a check twice", "list each check once")
        return value

    @model_validator(mode="after")
    def _checks_have_inputs(self):
        checks = self.canary_checks or ()
        found = []
        if "accuracy" in checks and self.labels_source is None:
            found.append(
                located(("canaryChecks",), "has accuracy but no labelsSource gives labels", "add labelsSource")
            )
        if "drift" in checks and (self.sample_rate == 0 or not self.enabled):
            found.append(
                located(
                    ("canaryChecks",),
                    "has drift but no samples reach the monitor",
                    "set sampleRate above 0 and enabled: true, or remove drift",
                )
            )
        raise_located("Monitoring", found)
        return self

    @property
    def window_seconds(self) -> int:
        match = _DURATION.match(self.drift_window)
        assert match, "validated"
        return int(match.group(1)) * _SECONDS[match.group(2)]
