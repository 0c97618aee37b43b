"""Batch jobs: the catalogue section, the stack's plan, the CronJob, its guardrails and its Google access.

The CronJob is checked strictly against the Kubernetes schema, against every guardrail rule (Python and
the admission policy's CEL), and against the Deployment of the same plan: same download, same version.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from catalogue.batch import BatchJob
from catalogue.loader import load_catalogue
from core.cron import cron_problem
from core.problems import ConfigError
from guardrails.admission import ADMISSION_RULES, admission_policies, policy_name
from guardrails.evaluate import check_resource
from guardrails.rule import GuardContext
from manifests.batch import cronjob_manifest
from manifests.network_policies import network_policy_manifests
from manifests.serving import deployment_manifest, model_pods_selector, pdb_manifest
from plan.batch import READ_ROLE, WRITE_ROLE, batch_plans, storage_grants
from plan.serving import serving_plans
from tests.addon_settings import stack_settings
from tests.cel_admission import failed_messages
from tests.conftest import PROJECT_DIR
from tests.guard_objects import k8s
from tests.schemas import validate
from tests.test_serving_manifests import make_plan

CHURN = next(m for m in load_catalogue(PROJECT_DIR / "models").models if m.name == "churn-prediction")
GS_JOB = {
    "name": "nightly",
    "schedule": "0 2 * * *",
    "input": "gs://acme-batch/in/x.csv",
    "output": "gs://acme-batch/out",
}
PVC_JOB = {"name": "nightly", "schedule": "@daily", "input": "pvc://data/in/x.csv", "output": "pvc://data/out"}


def with_jobs(*jobs: dict, model=CHURN):
    return model.model_copy(update={"batch": tuple(BatchJob.model_validate(j) for j in jobs)})


def plans_on(stack: str, model):
    settings = stack_settings(stack, models=[model.name])
    servings = serving_plans(settings, (model,))
    return settings, servings, batch_plans(settings, servings)


# -- cron -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "schedule", ["*/5 * * * *", "0 2 * * *", "0 0 1,15 * MON-FRI", "30 3 * JAN-MAR/2 0", "0 */6 ? * SUN", "@daily"]
)
def test_kubernetes_schedules_are_accepted(schedule):
    assert cron_problem(schedule) is None


@pytest.mark.parametrize(
    ("schedule", "words"),
    [
        ("0 2 * *", "has 4 fields"),
        ("60 * * * *", "minute 60 is outside 0-59"),
        ("0 24 * * *", "hour 24 is outside 0-23"),
        ("0 0 0 * *", "day of month 0 is outside 1-31"),
        ("0 0 * FOO *", "month 'FOO' is not a number"),
        ("0 0 * * 7", "day of week 7 is outside 0-6"),
        ("*/0 * * * *", "step 0"),
        ("5-1 * * * *", "runs backwards"),
        ("? * * * *", "cannot be '?'"),
        ("@every 5m", "is not one of"),
        ("TZ=UTC 0 2 * * *", "time zone prefix"),
    ],
)
def test_bad_schedules_say_what_is_wrong(schedule, words):
    assert words in (cron_problem(schedule) or "")


def test_a_bad_schedule_in_the_catalogue_is_one_problem_with_the_fix():
    with pytest.raises(Exception) as err:
        BatchJob.model_validate({**GS_JOB, "schedule": "0 25 * * *"})
    assert "hour 25 is outside 0-23" in str(err.value) and "0 2 * * *" in str(err.value)


# -- catalogue refusals -----------------------------------------------------------------------------


def test_a_gpu_runtime_model_cannot_have_batch_jobs():
    classifier = next(m for m in load_catalogue(PROJECT_DIR / "models").models if m.serving.runtime == "triton")
    with pytest.raises(Exception) as err:
        classifier.model_validate({**classifier.model_dump(by_alias=True, exclude_none=True), "batch": [GS_JOB]})
    assert "batch jobs score MLflow pyfunc models" in str(err.value)


def test_a_job_name_too_long_for_its_cronjob_and_an_undeclared_environment_are_refused():
    data = CHURN.model_dump(by_alias=True, exclude_none=True)
    long_model = {**data, "name": "c" * 40, "batch": [{**GS_JOB, "name": "abcdefghij", "environments": ["prod"]}]}
    with pytest.raises(Exception) as err:
        CHURN.model_validate(long_model)
    assert "longer than 52 characters" in str(err.value)
    fine_name = {
        **data,
        "batch": [{**GS_JOB, "environments": ["local", "dev"]}],
        "environments": {"dev": {"alias": "x"}},
    }
    with pytest.raises(Exception) as err:
        CHURN.model_validate(fine_name)
    assert "'local' is not an environment of this model" in str(err.value)


def test_an_input_inside_the_output_is_refused():
    with pytest.raises(Exception) as err:
        BatchJob.model_validate({**GS_JOB, "input": "gs://acme-batch/out/x.csv"})
    assert "is inside output" in str(err.value)


# -- plan: which locations a stack accepts ------------------------------------------------------------


def test_gcs_on_a_local_stack_and_a_claim_on_gke_are_each_one_clear_error():
    for stack, job, wanted in (("local", GS_JOB, "pvc://"), ("prod", PVC_JOB, "gs://")):
        with pytest.raises(ConfigError) as err:
            plans_on(stack, with_jobs(job))
        problems = err.value.problems
        assert len(problems) == 2  # input and output, both named
        assert all(p.source == "models/churn-prediction.yaml" and wanted in p.fix for p in problems)
        assert {p.field for p in problems} == {"batch[0].input", "batch[0].output"}


def test_jobs_run_only_in_their_environments():
    model = with_jobs({**GS_JOB, "environments": ["prod"]}, {**GS_JOB, "name": "weekly", "schedule": "@weekly"})
    assert [p.job.name for p in plans_on("prod", model)[2]["churn-prediction"]] == ["nightly", "weekly"]
    assert [p.job.name for p in plans_on("dev", model)[2]["churn-prediction"]] == ["weekly"]


# -- the CronJob ------------------------------------------------------------------------------------


def gke_batch(minor: int = 33):
    settings, servings, batches = plans_on("prod", with_jobs(GS_JOB))
    plan = batches["churn-prediction"][0]
    return replace(plan, serving=replace(plan.serving, kubernetes_minor=minor))


@pytest.mark.parametrize("minor", [26, 29, 33])
def test_the_cronjob_is_strictly_valid(minor):
    validate(cronjob_manifest(gke_batch(minor), "7"), f"1.{minor}")


def test_the_cronjob_downloads_and_scores_the_version_the_deployment_serves():
    plan = gke_batch()
    cron = cronjob_manifest(plan, "7")
    deployment = deployment_manifest(plan.serving, "7")
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]
    assert pod["spec"]["initContainers"] == deployment["spec"]["template"]["spec"]["initContainers"]
    assert pod["metadata"]["annotations"] == deployment["spec"]["template"]["metadata"]["annotations"]
    runner = pod["spec"]["containers"][0]
    assert runner["image"] == deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    args = runner["args"]
    assert args[args.index("--model-uri") + 1] == "models:/churn-prediction/7"
    assert args[args.index("--input") + 1] == "gs://acme-batch/in/x.csv"
    assert args[args.index("--output") + 1] == "gs://acme-batch/out/$(BATCH_JOB_NAME)"
    spec = cron["spec"]
    assert spec["concurrencyPolicy"] == "Forbid" and spec["timeZone"] == "Etc/UTC" and spec["schedule"] == "0 2 * * *"
    job = spec["jobTemplate"]["spec"]
    assert job["backoffLimit"] == 1 and job["activeDeadlineSeconds"] == 7200
    assert pod["spec"]["serviceAccountName"] == "churn-prediction"  # the model's Workload Identity


def test_batch_pods_are_never_selected_by_the_models_service_budget_or_allows():
    plan = gke_batch()
    labels = cronjob_manifest(plan, "7")["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]

    def selects(selector: dict) -> bool:
        return all(labels.get(k) == v for k, v in selector.items())

    assert not selects(model_pods_selector(plan.serving)) and not selects(plan.serving.selector)
    assert not selects(pdb_manifest(plan.serving)["spec"]["selector"]["matchLabels"])
    policies = network_policy_manifests(plan.serving)
    assert policies[0]["spec"]["podSelector"] == {}  # default-deny ingress still covers the batch pods
    assert all(not selects(p["spec"]["podSelector"].get("matchLabels", {"-": "-"})) for p in policies[1:])


def test_on_gke_no_guardrail_flags_the_cronjob_that_passes_the_deployment():
    """In prod the image-digest rule asks both for digests (the stack pins them at release); nothing else."""
    plan = gke_batch()
    subject = k8s(cronjob_manifest(plan, "7"))
    deployment = k8s(deployment_manifest(plan.serving, "7"))
    context = GuardContext("prod")
    flagged = {v.rule for v in check_resource(subject, context)}
    assert "batch-on-spot" not in flagged
    assert flagged <= {v.rule for v in check_resource(deployment, context)}
    for entry in ADMISSION_RULES:
        policy = next(m for m in admission_policies(context) if m["metadata"]["name"] == policy_name(entry.rule))
        if entry.rule.id not in flagged:
            assert failed_messages(policy, subject.plain) == [], entry.rule.id


def test_the_guardrail_flags_a_batch_job_placed_off_spot():
    _, _, batches = plans_on("local", with_jobs(PVC_JOB))
    local = batches["churn-prediction"][0]
    assert local.placement.node_selector == {}  # a kind cluster has no spot nodes
    subject = k8s(cronjob_manifest(local, "7"))
    flagged = check_resource(subject, GuardContext("local", spot_capacity=False))
    assert [v.rule for v in flagged] == ["batch-on-spot"] and flagged[0].level == "advisory"
    # Where the cluster has spot nodes (every GKE stack has a batch pool) it is mandatory, prod or not.
    for context in (GuardContext("dev"), GuardContext("staging"), GuardContext("prod", spot_capacity=False)):
        (found,) = [v for v in check_resource(subject, context) if v.rule == "batch-on-spot"]
        assert found.level == "mandatory", context
    policy = next(m for m in admission_policies(GuardContext("prod")) if "batch-on-spot" in m["metadata"]["name"])
    assert failed_messages(policy, subject.plain)


def test_local_claims_are_mounted_and_paths_point_into_them():
    _, _, batches = plans_on("local", with_jobs(PVC_JOB))
    cron = cronjob_manifest(batches["churn-prediction"][0], "3")
    validate(cron, "1.33")
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["volumes"][-1] == {"name": "claim-0", "persistentVolumeClaim": {"claimName": "data"}}
    args = pod["containers"][0]["args"]
    assert args[args.index("--input") + 1] == "/mnt/batch/data/in/x.csv"
    assert args[args.index("--output") + 1] == "/mnt/batch/data/out/$(BATCH_JOB_NAME)"
    assert {"name": "claim-0", "mountPath": "/mnt/batch/data"} in pod["containers"][0]["volumeMounts"]


# -- Google access ------------------------------------------------------------------------------------


def test_the_identity_may_read_the_input_and_create_under_the_output_only():
    model = with_jobs(
        {**GS_JOB, "input": "gs://in-bucket/a/x.csv", "output": "gs://out-bucket/scores", "environments": ["prod"]}
    )
    settings, servings, _ = plans_on("prod", model)
    grants = storage_grants(settings, servings["churn-prediction"])
    assert [(g.bucket, g.prefix, g.role) for g in grants] == [
        ("in-bucket", "a/x.csv", READ_ROLE),
        ("out-bucket", "scores/", WRITE_ROLE),
    ]
    assert grants[1].condition() == 'resource.name.startsWith("projects/_/buckets/out-bucket/objects/scores/")'
    assert storage_grants(stack_settings("dev"), make_plan(model=model, environment="dev")) == ()
