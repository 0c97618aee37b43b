"""The spot batch node pool (`batchNodePool`) through the whole program: a GKE stack whose catalogue has
batch jobs for its environment but no pool able to run them is refused before any resource, with one
problem naming the stack file, the key and the fix; so is a pool the settings cannot create."""

from __future__ import annotations

import pytest

from core.problems import ConfigError
from plan.batch import batch_plans
from plan.serving import serving_plans
from tests.addon_settings import stack_settings
from tests.settings_refusals import refused_with
from tests.test_batch_jobs import GS_JOB, with_jobs

KEY = "Pulumi.prod.yaml: mlops-platform:batchNodePool"


def test_a_gke_stack_with_batch_jobs_and_no_batch_pool_is_refused_with_the_fix():
    # churn-prediction's nightly job runs in prod (models/churn-prediction.yaml); `null` as if the key were gone
    assert refused_with("prod", batchNodePool="null") == [
        f"{KEY}: the catalogue declares batch jobs for environment prod ('nightly' of model 'churn-prediction'), "
        "but stack 'prod' has no spot batch node pool: batch pods select spot nodes and tolerate only the batch "
        "pool's taints, so they would never schedule (fix: add mlops-platform:batchNodePool: {machineType: "
        "e2-standard-4, autoscaling: {totalMinNodeCount: 0, totalMaxNodeCount: 3}} to Pulumi.prod.yaml, or limit "
        "the jobs to other environments (e.g. batch[0].environments in models/churn-prediction.yaml))"
    ]


def test_a_stack_without_batch_jobs_needs_no_batch_pool():
    settings = stack_settings("dev", batchNodePool=None)
    assert settings.batch_node_pool is None
    assert batch_plans(settings, serving_plans(settings, ())) == {}  # dev declares no jobs: nothing refused


def test_a_pool_too_small_for_a_job_is_refused_on_the_machine_type():
    big = with_jobs(
        {**GS_JOB, "resources": {"requests": {"cpu": "4", "memory": "8Gi"}, "limits": {"cpu": "4", "memory": "8Gi"}}}
    )
    settings = stack_settings("prod", models=[big.name])  # e2-standard-4: 3.92 CPUs left for pods
    with pytest.raises(ConfigError) as caught:
        batch_plans(settings, serving_plans(settings, (big,)))
    assert [str(p) for p in caught.value.problems] == [
        f"{KEY}.machineType: e2-standard-4 leaves pods 3.92 CPUs and 13.3Gi after GKE's reservations, less than "
        "batch job 'nightly' of model 'churn-prediction' requests (4 CPUs, 8Gi): its pods would never schedule "
        "(fix: use a larger machine type (facts/cpu_machines.py), or lower the job's resources.requests in "
        "models/churn-prediction.yaml batch[0])"
    ]
    larger = stack_settings("prod", models=[big.name], batchNodePool={"machineType": "e2-standard-8"})
    assert [p.job.name for p in batch_plans(larger, serving_plans(larger, (big,)))["churn-prediction"]] == ["nightly"]


def test_an_unknown_machine_type_lists_the_known_ones():
    (problem,) = refused_with("prod", batchNodePool={"machineType": "e2-standard-5"})
    assert problem.startswith(
        f"{KEY}.machineType: 'e2-standard-5' is not a CPU machine type this platform knows the size of "
        "(fix: use one of e2-standard-2, e2-standard-4, e2-standard-8,"
    )
    assert problem.endswith("(or add a row to facts/cpu_machines.py with its source))")


def test_names_zones_bounds_and_unknown_keys():
    assert refused_with("prod", batchNodePool={"name": "system", "nodeLocations": ["europe-west1-b"]}) == [
        f"{KEY}.name: pool name 'system' is already used by the system node pool (fix: rename it (the default is "
        "batch-spot))",
        f"{KEY}.nodeLocations[0]: 'europe-west1-b' is not a zone of the cluster's region us-central1 (fix: use "
        "zones like us-central1-a)",
    ]
    assert refused_with("prod", batchNodePool={"name": "a100"}) == [
        f"{KEY}.name: pool name 'a100' is already used by gpuNodePools[1] (fix: rename it (the default is batch-spot))"
    ]
    assert refused_with("prod", batchNodePool={"autoscaling": {"totalMinNodeCount": 2, "totalMaxNodeCount": 1}}) == [
        f"{KEY}.autoscaling: totalMaxNodeCount 1 is below totalMinNodeCount 2 (fix: raise totalMaxNodeCount)"
    ]
    assert refused_with("prod", batchNodePool={"machineTyp": "e2-standard-4"}) == [
        f"{KEY}.machineTyp: unknown key (fix: did you mean 'machineType'? remove it or use one of: autoscaling, "
        "diskSizeGb, diskType, machineType, name, nodeLocations)"
    ]
    assert refused_with("prod", batchNodePool="[1]") == [f"{KEY}: [1] is not a mapping (fix: write a mapping)"]


def test_a_kubeconfig_stack_cannot_have_a_batch_pool():
    assert refused_with("local", batchNodePool={"autoscaling": {"totalMaxNodeCount": 1}}) == [
        "Pulumi.local.yaml: mlops-platform:batchNodePool: the batch node pool is created in a GKE cluster, but "
        "cluster.mode is kubeconfig (fix: set cluster.mode to gke or gke-existing, or remove batchNodePool)"
    ]
