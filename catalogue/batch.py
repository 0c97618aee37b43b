"""The `batch` section of a catalogue entry: scheduled jobs that score a file with the served model.

Each job scores with the SAME version the stack serves online (the plan feeds one resolved version to
both), reading its input from and writing its results to a location: `gs://bucket/path` on GKE stacks
(through the model's Workload Identity), `pvc://<claim>/<path>` (a PersistentVolumeClaim in the model's
namespace) on local stacks; which scheme a stack accepts is checked with the stack (plan/batch.py).
Each run writes `<output>/<run>/results.csv`, `rejects.csv` and `summary.json`, so runs never overwrite
each other.

Defaults and where they come from:
- backoffLimit 1, activeDeadlineSeconds 7200: a run retried once, and stopped after two hours so a stuck
  run never overlaps the next (concurrencyPolicy is always Forbid); this project's choices.
- chunkRows 10000: rows per predict call; memory grows with it, not with the input.
- maxRejectedFraction 0.05: a run whose input is more than 5% bad rows fails visibly (its files stay).
- resources: the model's own requests and limits when unset (the same model in memory).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from catalogue.resources_spec import Resources
from core.cron import cron_problem
from core.environments import Environment
from core.problems import Invalid
from core.quantities import Quantity
from core.spec import Spec, pattern_in_words

LOCATION_SCHEMES = ("gs://", "pvc://")
_JOB_NAME = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
# A PVC name is a DNS subdomain; the path is relative, without '..'.
_LOCATION = re.compile(r"^(gs|pvc)://([a-z0-9][-a-z0-9_.]{1,220}[a-z0-9])(/[^\s]*)?$")
JobName = Annotated[
    str,
    StringConstraints(pattern=_JOB_NAME, max_length=12),
    pattern_in_words(_JOB_NAME, "lowercase letters, digits and '-', at most 12 characters (e.g. nightly)"),
]


def split_location(uri: str) -> tuple[str, str, str]:
    """(scheme, bucket or claim, path without leading '/') of a validated location."""
    match = _LOCATION.match(uri)
    if not match:
        raise ValueError(f"not a location: {uri!r}")
    return match.group(1), match.group(2), (match.group(3) or "").strip("/")


class BatchJob(Spec):
    """One scheduled scoring run of this model's served version."""

    name: JobName = Field(description="The job's name; the CronJob is <model>-batch-<name>.")
    schedule: str = Field(description="Cron schedule (five fields or @daily...), in UTC.")
    input: str = Field(description="gs://bucket/object or pvc://claim/path of the records (.csv with header, .jsonl).")
    output: str = Field(description="gs://bucket/prefix or pvc://claim/dir; each run writes <output>/<run>/.")
    format: Literal["auto", "csv", "jsonl"] = Field("auto", description="auto: from the input's extension.")
    chunk_rows: int = Field(10_000, ge=100, le=1_000_000, description="Records per predict call.")
    max_rejected_fraction: float = Field(0.05, ge=0, le=1, description="More bad records than this: the run fails.")
    resources: Resources | None = Field(None, description="The job's pod; unset: the model's resources.")
    scratch_storage: Quantity = Field(
        "4Gi", description="The /tmp emptyDir, where results wait for their upload to GCS; size it for the output."
    )
    backoff_limit: int = Field(1, ge=0, le=6, description="Retries of a failed run.")
    active_deadline_seconds: int = Field(7200, ge=60, le=86_400, description="A run is stopped after this long.")
    environments: tuple[Environment, ...] | None = Field(
        None, description="Environments that run the job; unset: every environment that serves the model."
    )

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        problem = cron_problem(value)
        if problem:
            raise Invalid(f"{value!r}: {problem}", "e.g. '0 2 * * *' for 02:00 UTC daily, or @daily")
        return value.strip()

    @field_validator("input", "output")
    @classmethod
    def _location(cls, value: str) -> str:
        match = _LOCATION.match(value)
        if not match or ".." in value.split("/"):
            raise Invalid(
                f"{value!r} is not a batch location",
                "gs://<bucket>/<path> (GKE stacks) or pvc://<claim>/<path> (local stacks)",
            )
        return value.rstrip("/")

    @model_validator(mode="after")
    def _input_is_a_file_apart_from_the_output(self):
        if not split_location(self.input)[2]:
            raise Invalid(f"input {self.input!r} names no object", "name the file, e.g. gs://bucket/in/records.csv")
        if self.input == self.output or self.input.startswith(self.output + "/"):
            raise Invalid(
                f"input {self.input!r} is inside output {self.output!r}",
                "write results under a prefix of their own, e.g. .../scores",
            )
        return self
