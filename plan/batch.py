"""The batch jobs of one model on one stack, decided once (built by manifests/batch.py).

A job scores with the model's served version: its plan holds the model's ServingPlan, and the
component hands the CronJob the same resolved version Output as the Deployment, so the two can never
differ. Where it runs: on GKE stacks, the stack's spot batch node pool (settings/batch_node_pool.py;
the cost policy's batch-on-spot rule), and a GKE stack whose catalogue has jobs for its environment but
no such pool, or a pool too small for a job, is refused here, before any resource: the pods would wait
unschedulable forever. A local (kubeconfig) cluster has no spot nodes, so there the job runs anywhere
and the guardrail reports it (advisory). Where it reads and writes: gs:// on GKE stacks, through the model's Workload
Identity with grants limited to the input object and the output prefix; pvc:// claims on local stacks.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalogue.batch import BatchJob, split_location
from catalogue.schema import BATCH_INFIX
from core.problems import Problem, ProblemCollector
from core.quantities import parse_quantity
from facts.cpu_machines import cpu_machine
from plan.pool_facts import batch_placement
from plan.serving_plan import Placement, ServingPlan
from settings.batch_node_pool import BATCH_POOL_KEY
from settings.stack import StackSettings, config_key

BATCH_MOUNT = "/mnt/batch"
# An example for the fix of a stack without a batch pool: from zero nodes, so idle it costs nothing.
POOL_EXAMPLE = "{machineType: e2-standard-4, autoscaling: {totalMinNodeCount: 0, totalMaxNodeCount: 3}}"
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


def _no_pool_problem(settings: StackSettings, jobs: list[tuple[str, int, str]]) -> Problem:
    """One problem naming every job of a GKE stack without a batch pool: (model, index, job name) each."""
    stack_file = f"Pulumi.{settings.stack}.yaml"
    named = ", ".join(f"'{job}' of model '{model}'" for model, _, job in jobs)
    model, index, _ = jobs[0]
    return Problem(
        stack_file,
        config_key(BATCH_POOL_KEY),
        f"the catalogue declares batch jobs for environment {settings.environment} ({named}), but stack "
        f"'{settings.stack}' has no spot batch node pool: batch pods select spot nodes and tolerate only the "
        "batch pool's taints, so they would never schedule",
        f"add {config_key(BATCH_POOL_KEY)}: {POOL_EXAMPLE} to {stack_file}, or limit the jobs to other "
        f"environments (e.g. batch[{index}].environments in {settings.models_dir}/{model}.yaml)",
    )


def _fit_problems(settings: StackSettings, serving: ServingPlan, index: int, job: BatchJob) -> list[Problem]:
    """The job's pod asks for more than one node of the batch pool can ever give it."""
    pool = settings.batch_node_pool
    machine = cpu_machine(pool.machine_type) if pool else None
    if pool is None or machine is None:
        return []
    resources = job.resources or serving.model.resources
    cpu, memory = parse_quantity(str(resources.requests.cpu)), parse_quantity(str(resources.requests.memory))
    if cpu <= machine.allocatable_cpu and memory <= machine.allocatable_memory:
        return []
    return [
        Problem(
            f"Pulumi.{settings.stack}.yaml",
            f"{config_key(BATCH_POOL_KEY)}.machineType",
            f"{pool.machine_type} leaves pods {machine.allocatable_cpu:.2f} CPUs and "
            f"{machine.allocatable_memory / 2**30:.1f}Gi after GKE's reservations, less than batch job "
            f"'{job.name}' of model '{serving.name}' requests ({resources.requests.cpu} CPUs, "
            f"{resources.requests.memory}): its pods would never schedule",
            "use a larger machine type (facts/cpu_machines.py), or lower the job's resources.requests in "
            f"{settings.models_dir}/{serving.name}.yaml batch[{index}]",
        )
    ]


def batch_plans(settings: StackSettings, servings: dict[str, ServingPlan]) -> dict[str, tuple[BatchPlan, ...]]:
    """Every model's batch jobs in this environment, or one ConfigError naming every misfit."""
    problems = ProblemCollector()
    plans: dict[str, tuple[BatchPlan, ...]] = {}
    local = settings.cluster.mode == "kubeconfig"
    placement = Placement() if local else batch_placement()
    unplaced: list[tuple[str, int, str]] = []  # jobs of a GKE stack without a batch pool
    for name, serving in sorted(servings.items()):
        jobs = []
        for index, job in enumerate(serving.model.batch):
            if job not in serving.model.batch_jobs_in(settings.environment):
                continue
            found = _scheme_problems(settings, serving, index, job)
            if not local and settings.batch_node_pool is None:
                unplaced.append((name, index, job.name))
            found += [] if local else _fit_problems(settings, serving, index, job)
            problems.extend(found)
            if found:
                continue
            claims: dict[str, ClaimMount] = {}
            input_uri = _runner_location(job.input, claims)
            output_uri = _runner_location(job.output, claims)
            jobs.append(BatchPlan(serving, job, input_uri, output_uri, tuple(claims.values()), placement))
        if jobs:
            plans[name] = tuple(jobs)
    if unplaced:
        problems.extend([_no_pool_problem(settings, unplaced)])
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
