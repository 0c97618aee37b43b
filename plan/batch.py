"""The batch jobs of one model on one stack, decided once (built by manifests/batch.py).

A job scores with the model's served version: its plan holds the model's ServingPlan, and the
component hands the CronJob the same resolved version Output as the Deployment, so the two can never
differ. Where it runs: spot capacity (the cost policy's batch-on-spot rule) on GKE stacks; a local
(kubeconfig) cluster has no spot nodes, so there the job runs anywhere and the guardrail reports it
(advisory outside prod). Where it reads and writes: gs:// on GKE stacks, through the model's Workload
Identity with grants limited to the input object and the output prefix; pvc:// claims on local stacks.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalogue.batch import BatchJob, split_location
from catalogue.schema import BATCH_INFIX
from core.problems import Problem, ProblemCollector
from plan.pool_facts import SPOT_TAINT
from plan.serving_plan import Placement, ServingPlan
from settings.gpu_node_pools import SPOT_TAINT_KEY
from settings.stack import StackSettings

BATCH_MOUNT = "/mnt/batch"
SPOT_PLACEMENT = Placement(node_selector={SPOT_TAINT_KEY: "true"}, tolerations=(SPOT_TAINT.toleration(),))
# GCS roles a batch job's identity gets, each limited by an IAM condition to one object name prefix.
READ_ROLE = "roles/storage.objectViewer"
WRITE_ROLE = "roles/storage.objectCreator"  # create only: a run writes new objects, never overwrites


@dataclass(frozen=True)
class StorageGrant:
    """One conditional bucket role for the model's Google identity."""

    bucket: str
    prefix: str  # object name prefix the condition allows
    role: str
    title: str  # IAM condition title

    def condition(self) -> str:
        return f'resource.name.startsWith("projects/_/buckets/{self.bucket}/objects/{self.prefix}")'


@dataclass(frozen=True)
class ClaimMount:
    volume: str  # the pod's volume name
    claim: str
    mount_path: str


@dataclass(frozen=True)
class BatchPlan:
    serving: ServingPlan  # the model: namespace, registry access, runtime image, the version's downloader
    job: BatchJob
    input_uri: str  # what the runner opens: gs://... or a path under a mounted claim
    output_uri: str  # the base; each run writes under <output_uri>/<Job name>
    claims: tuple[ClaimMount, ...]
    placement: Placement

    @property
    def name(self) -> str:
        return f"{self.serving.name}{BATCH_INFIX}{self.job.name}"


def _runner_location(uri: str, claims: dict[str, ClaimMount]) -> str:
    scheme, holder, path = split_location(uri)
    if scheme == "gs":
        return uri
    if holder not in claims:
        claims[holder] = ClaimMount(f"claim-{len(claims)}", holder, f"{BATCH_MOUNT}/{holder}")
    return f"{claims[holder].mount_path}/{path}".rstrip("/")


def _scheme_problems(settings: StackSettings, serving: ServingPlan, index: int, job: BatchJob) -> list[Problem]:
    local = settings.cluster.mode == "kubeconfig"
    wanted, why = ("pvc", "a local cluster has no GCS identity") if local else ("gs", "GKE stacks read and write GCS")
    source = f"{settings.models_dir}/{serving.name}.yaml"
    return [
        Problem(
            source,
            f"batch[{index}].{key}",
            f"{value!r} cannot be used on stack '{settings.stack}' (cluster mode {settings.cluster.mode}): {why}",
            f"use {wanted}://... for this environment, or limit the job with batch[{index}].environments",
        )
        for key, value in (("input", job.input), ("output", job.output))
        if split_location(value)[0] != wanted
    ]


def batch_plans(settings: StackSettings, servings: dict[str, ServingPlan]) -> dict[str, tuple[BatchPlan, ...]]:
    """Every model's batch jobs in this environment, or one ConfigError naming every misfit."""
    problems = ProblemCollector()
    plans: dict[str, tuple[BatchPlan, ...]] = {}
    placement = Placement() if settings.cluster.mode == "kubeconfig" else SPOT_PLACEMENT
    for name, serving in sorted(servings.items()):
        jobs = []
        for index, job in enumerate(serving.model.batch):
            if job not in serving.model.batch_jobs_in(settings.environment):
                continue
            found = _scheme_problems(settings, serving, index, job)
            problems.extend(found)
            if found:
                continue
            claims: dict[str, ClaimMount] = {}
            input_uri = _runner_location(job.input, claims)
            output_uri = _runner_location(job.output, claims)
            jobs.append(BatchPlan(serving, job, input_uri, output_uri, tuple(claims.values()), placement))
        if jobs:
            plans[name] = tuple(jobs)
    problems.raise_if_any()
    return plans


def storage_grants(settings: StackSettings, serving: ServingPlan) -> tuple[StorageGrant, ...]:
    """The GCS access the model's batch jobs need in this environment: read the input, create under the output."""
    grants: dict[tuple[str, str, str], StorageGrant] = {}
    for job in serving.model.batch_jobs_in(settings.environment):
        for uri, role, what in ((job.input, READ_ROLE, "read"), (job.output, WRITE_ROLE, "write")):
            scheme, bucket, path = split_location(uri)
            if scheme != "gs":
                continue
            prefix = path if role == READ_ROLE else f"{path}/" if path else ""
            title = f"batch {job.name} {what}"
            grants.setdefault((bucket, prefix, role), StorageGrant(bucket, prefix, role, title))
    return tuple(grants.values())
