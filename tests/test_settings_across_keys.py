"""Checks across stack keys: GPU pools against their cluster, and what prod demands of it, each
landing on the key to change when raised from the stack model."""

from __future__ import annotations

from pydantic import model_validator

from core.spec import Spec, located, raise_located
from settings.cluster import ClusterSettings
from settings.environment_rules import environment_problems
from settings.gpu_node_pools import GpuNodePoolSettings, gpu_node_pool_problems
from tests.test_cluster_settings import GKE, SOURCE, errors, gke, l4_pool

# ---------------------------------------------------------------------------------------------
# GpuNodePoolSettings


# ---------------------------------------------------------------------------------------------
# Across keys and environments


def pools(*items):
    return tuple(GpuNodePoolSettings.model_validate(i) for i in items)


def test_pools_need_a_gke_cluster():
    assert gpu_node_pool_problems(ClusterSettings(), pools(l4_pool())) == [
        located(
            ("gpuNodePools",),
            "GPU node pools are created in a GKE cluster, but cluster.mode is kubeconfig",
            "set cluster.mode to gke or gke-existing, or remove gpuNodePools",
        )
    ]
    assert gpu_node_pool_problems(ClusterSettings(), ()) == []


def test_pool_names_zones_and_auto_upgrade_across_the_stack():
    found = gpu_node_pool_problems(
        gke(),
        pools(
            l4_pool(name="system"),
            l4_pool(nodeLocations=["us-central1-a", "europe-west4-b", "nowhere"]),
            l4_pool(autoUpgrade=False),
        ),
    )
    assert found == [
        located(
            ("gpuNodePools", 0, "name"), "pool name 'system' is already used by the system node pool", "rename one"
        ),
        located(
            ("gpuNodePools", 1, "nodeLocations", 1),
            "pool 'l4': 'europe-west4-b' is not a zone of the cluster's region us-central1",
            "use zones like us-central1-a that offer nvidia-l4",
        ),
        located(
            ("gpuNodePools", 1, "nodeLocations", 2),
            "pool 'l4': 'nowhere' is not a zone of the cluster's region us-central1",
            "use zones like us-central1-a that offer nvidia-l4",
        ),
        located(("gpuNodePools", 2, "name"), "pool name 'l4' is already used by gpuNodePools[1]", "rename one"),
        located(
            ("gpuNodePools", 2, "autoUpgrade"),
            "pool 'l4': the cluster is on the REGULAR release channel, which keeps node auto-upgrade on",
            "remove autoUpgrade: false",
        ),
    ]
    # an adopted cluster: its release channel is not ours to know, and it has no system pool of ours
    adopted = ClusterSettings.model_validate({**GKE, "mode": "gke-existing", "location": "us-central1-a"})
    assert (
        gpu_node_pool_problems(
            adopted, pools(l4_pool(name="system", autoUpgrade=False, nodeLocations=["us-central1-b"]))
        )
        == []
    )


def test_prod_keeps_its_protections():
    relaxed = gke(
        deletionProtection=False,
        binaryAuthorization="DISABLED",
        masterAuthorizedNetworks=[{"cidrBlock": "0.0.0.0/0", "displayName": "anywhere"}],
    )
    assert environment_problems("prod", relaxed) == [
        located(
            ("cluster", "deletionProtection"),
            "prod keeps cluster deletion protection",
            "remove deletionProtection: false",
        ),
        located(
            ("cluster", "binaryAuthorization"),
            "prod enforces the Binary Authorization policy",
            "remove binaryAuthorization: DISABLED",
        ),
        located(
            ("cluster", "masterAuthorizedNetworks", 0, "cidrBlock"),
            "0.0.0.0/0 opens prod's control plane to the internet",
            "use your CI and office ranges",
        ),
    ]
    assert environment_problems("prod", gke()) == []  # DNS access: the IP endpoint's empty list closes it
    assert environment_problems("prod", gke(controlPlaneAccess="ip")) == [
        located(
            ("cluster", "masterAuthorizedNetworks"),
            "prod's public control-plane endpoint must be limited to known networks",
            "list them in masterAuthorizedNetworks",
        )
    ]
    assert environment_problems("prod", gke(privateEndpoint=True)) == []
    assert environment_problems("dev", relaxed) == []


def test_cross_key_problems_land_on_their_keys_when_raised_from_the_stack_model():
    class Stack(Spec):  # the shape settings/stack.py gives the two keys
        environment: str
        cluster: ClusterSettings
        gpu_node_pools: tuple[GpuNodePoolSettings, ...] = ()

        @model_validator(mode="after")
        def _together(self):
            raise_located(
                "Stack",
                gpu_node_pool_problems(self.cluster, self.gpu_node_pools)
                + environment_problems(self.environment, self.cluster),
            )
            return self

    assert errors(
        Stack,
        {
            "environment": "prod",
            "cluster": {**GKE, "privateEndpoint": True, "deletionProtection": False},
            "gpuNodePools": [l4_pool(nodeLocations=["us-east1-b"])],
        },
    ) == [
        f"{SOURCE}: gpuNodePools[0].nodeLocations[0]: pool 'l4': 'us-east1-b' is not a zone of the cluster's region us-central1 (fix: use zones like us-central1-a that offer nvidia-l4)",
        f"{SOURCE}: cluster.deletionProtection: prod keeps cluster deletion protection (fix: remove deletionProtection: false)",
    ]
