"""GkeCluster over its life: outputs and pool facts, adopting an existing cluster, and the loud
warning a replacing change of a GPU pool gets on the preview."""

from __future__ import annotations

import json

import pulumi
import pytest

from components.cluster.gke_cluster import GkeCluster, GkeClusterArgs
from ops.offline.gcp_outputs import DNS_ENDPOINT, ENDPOINT
from settings.cluster import ClusterSettings
from settings.gpu_node_pools import GpuNodePoolSettings
from tests.gke_engine import (
    A100,
    L4_SPOT,
    PROJECT,
    RecordingMocks,
    cluster_args,
    run,
)


def test_component_outputs_and_pool_facts(engine):
    def program():
        cluster = GkeCluster("platform", cluster_args(production=False))
        assert [f.name for f in cluster.pool_facts] == ["l4-spot", "a100", "t4-batch"]
        assert cluster.pool_facts[2].gpus_per_node == 2 and cluster.pool_facts[2].queued_provisioning
        assert cluster.project == PROJECT
        return pulumi.Output.all(
            cluster.name,
            cluster.location,
            cluster.endpoint,
            cluster.workload_pool,
            cluster.node_service_account_email,
            cluster.gpu_node_pools[0].name,
        )

    assert run(program) == [
        "ml",
        "us-central1",
        ENDPOINT,
        "acme-ml.svc.id.goog",
        "ml-nodes@acme-ml.iam.gserviceaccount.com",
        "l4-spot",
    ]


def test_adopting_an_existing_cluster_creates_no_cluster_and_reads_its_credentials(engine):
    settings = {"mode": "gke-existing", "project": PROJECT, "location": "us-central1", "name": "shared"}

    def program():
        cluster = GkeCluster(
            "platform",
            GkeClusterArgs(
                settings=ClusterSettings.model_validate(settings),
                gpu_node_pools=(GpuNodePoolSettings.model_validate(L4_SPOT),),
                production=True,
            ),
        )
        return pulumi.Output.all(cluster.workload_pool, cluster.kubeconfig)

    workload_pool, kubeconfig = run(program)
    assert workload_pool == "acme-ml.svc.id.goog"
    # The adopted cluster's DNS-based endpoint (the default controlPlaneAccess), read from the data source.
    assert json.loads(kubeconfig)["clusters"][0]["cluster"]["server"] == f"https://{DNS_ENDPOINT}"
    assert engine.of_type("gcp:container/cluster:Cluster") == []
    [call] = [c for c in engine.mocks.calls if c.token == "gcp:container/getCluster:getCluster"]
    assert (call.args["name"], call.args["location"], call.args["project"]) == ("shared", "us-central1", PROJECT)
    [pool] = engine.of_type("gcp:container/nodePool:NodePool")  # the GPU pool only: no system pool of ours
    assert pool["inputs"]["cluster"] == "shared" and pool["protect"]


@pytest.mark.parametrize("engine", [RecordingMocks(adopted_workload_pool=None)], indirect=True)
def test_adopting_a_cluster_without_workload_identity_fails_with_the_fix(engine):
    settings = ClusterSettings.model_validate(
        {"mode": "gke-existing", "project": PROJECT, "location": "us-central1", "name": "old"}
    )
    with pytest.raises(Exception, match=r"Workload Identity disabled.*--workload-pool=acme-ml\.svc\.id\.goog"):
        run(
            lambda: GkeCluster(
                "platform", GkeClusterArgs(settings=settings, gpu_node_pools=(), production=False)
            ).workload_pool
        )


def test_kubeconfig_mode_is_not_a_gke_cluster(engine):
    with pytest.raises(ValueError, match="GkeCluster needs cluster mode gke or gke-existing, not 'kubeconfig'"):
        GkeCluster("platform", GkeClusterArgs(settings=ClusterSettings(), gpu_node_pools=(), production=False))


def test_a_replacing_change_is_called_out_loudly(engine):
    previous = {**L4_SPOT, "accelerator": {**L4_SPOT["accelerator"], "driverVersion": "DEFAULT"}}
    run(
        lambda: GkeCluster(
            "platform", cluster_args(production=True, pools=(L4_SPOT, A100), previous=(previous, A100))
        ).kubeconfig
    )
    assert engine.warnings == [
        "GPU node pool 'l4-spot' will be REPLACED (deleted, then created again) because accelerator.driverVersion: "
        "DEFAULT -> LATEST; it is protected in production, so the update will stop: remove the protection deliberately to go ahead"
    ]


def test_in_place_changes_and_new_pools_warn_nothing(engine):
    previous = {**L4_SPOT, "machineType": "g2-standard-4", "labels": {}}
    run(
        lambda: GkeCluster(
            "platform", cluster_args(production=False, pools=(L4_SPOT, A100), previous=(previous,))
        ).kubeconfig
    )
    assert engine.warnings == []


def test_outside_production_the_warning_says_what_is_lost(engine):
    previous = {**L4_SPOT, "spot": False}
    run(
        lambda: GkeCluster(
            "platform", cluster_args(production=False, pools=(L4_SPOT,), previous=(previous,))
        ).kubeconfig
    )
    assert engine.warnings == [
        "GPU node pool 'l4-spot' will be REPLACED (deleted, then created again) because spot: false -> true; "
        "its GPUs are gone until the new nodes are ready"
    ]
