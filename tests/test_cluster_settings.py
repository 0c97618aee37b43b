"""Cluster settings: every validation error, as the user reads it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.spec import problems_from_validation_error
from settings.cluster import ClusterSettings, region_of

SOURCE = "Pulumi.dev.yaml"
GKE = {"mode": "gke", "project": "acme-ml", "location": "us-central1", "name": "ml"}


def errors(model, data, prefix=""):
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return [str(p) for p in problems_from_validation_error(caught.value, SOURCE, model, prefix)]


def l4_pool(**overrides):
    pool = {
        "name": "l4",
        "machineType": "g2-standard-8",
        "accelerator": {"type": "nvidia-l4", "count": 1},
        "autoscaling": {"totalMaxNodeCount": 4},
    }
    return {**pool, **overrides}


def gke(**overrides):
    return ClusterSettings.model_validate({**GKE, **overrides})


# ---------------------------------------------------------------------------------------------
# ClusterSettings


def test_defaults_to_the_current_kubeconfig_and_gke_defaults_are_hardened():
    assert ClusterSettings().mode == "kubeconfig"
    cluster = gke()
    assert (cluster.release_channel, cluster.private_nodes, cluster.deletion_protection) == ("REGULAR", True, True)
    assert cluster.binary_authorization == "PROJECT_SINGLETON_POLICY_ENFORCE"
    assert cluster.logging_components == ("SYSTEM_COMPONENTS", "WORKLOADS")
    assert cluster.workload_pool == "acme-ml.svc.id.goog"
    assert cluster.system_node_pool.machine_type == "e2-standard-4"


def test_keys_of_another_mode_and_missing_cluster_identity():
    assert errors(ClusterSettings, {"mode": "gke", "kubeconfig": "~/.kube/config"}, "cluster") == [
        f"{SOURCE}: cluster.kubeconfig: kubeconfig does not apply to mode gke (fix: remove it)",
        f"{SOURCE}: cluster.project: mode gke needs the cluster's project (fix: add project)",
        f"{SOURCE}: cluster.location: mode gke needs the cluster's location (fix: add location)",
        f"{SOURCE}: cluster.name: mode gke needs the cluster's name (fix: add name)",
    ]
    assert errors(ClusterSettings, {"mode": "kubeconfig", "project": "p", "releaseChannel": "RAPID"}) == [
        f"{SOURCE}: project: project does not apply to mode kubeconfig (fix: remove it)",
        f"{SOURCE}: releaseChannel: releaseChannel does not apply to mode kubeconfig (fix: remove it)",
    ]
    adopt = {**GKE, "mode": "gke-existing"}
    assert errors(ClusterSettings, {**adopt, "systemNodePool": {}}) == [
        f"{SOURCE}: systemNodePool: systemNodePool does not apply to mode gke-existing (fix: remove it)"
    ]
    assert ClusterSettings.model_validate(adopt).name == "ml"


def test_location_must_be_a_region_or_zone():
    assert region_of("us-central1-a") == "us-central1" and region_of("europe-west4") == "europe-west4"
    assert errors(ClusterSettings, {**GKE, "location": "central"}) == [
        f"{SOURCE}: location: 'central' is neither a region nor a zone (fix: e.g. us-central1 or us-central1-a)"
    ]


def test_control_plane_network_settings():
    assert errors(ClusterSettings, {**GKE, "masterIpv4Cidr": "172.16.0.1/28"}) == [
        f"{SOURCE}: masterIpv4Cidr: '172.16.0.1/28' is not a CIDR block (fix: write the network address, e.g. 10.0.0.0/28)"
    ]
    assert errors(ClusterSettings, {**GKE, "masterIpv4Cidr": "172.16.0.0/24"}) == [
        f"{SOURCE}: masterIpv4Cidr: the control plane range must be a /28 (fix: e.g. 172.16.0.0/28)"
    ]
    assert errors(
        ClusterSettings, {**GKE, "privateNodes": False, "masterIpv4Cidr": "172.16.0.0/28", "privateEndpoint": True}
    ) == [
        f"{SOURCE}: masterIpv4Cidr: masterIpv4Cidr only applies to private nodes (fix: remove it or set privateNodes: true)",
        f"{SOURCE}: privateEndpoint: a private endpoint needs private nodes (fix: set privateNodes: true)",
    ]
    assert errors(
        ClusterSettings, {**GKE, "masterAuthorizedNetworks": [{"cidrBlock": "10.0.0.1/8", "displayName": "vpn"}]}
    ) == [
        f"{SOURCE}: masterAuthorizedNetworks[0].cidrBlock: '10.0.0.1/8' is not a CIDR block (fix: write the network address, e.g. 10.0.0.0/28)"
    ]
    assert errors(ClusterSettings, {**GKE, "networking": {"podsRangeName": "pods"}}) == [
        f"{SOURCE}: networking: podsRangeName and servicesRangeName go together "
        "(fix: set both to the subnetwork's secondary range names, or neither)"
    ]


def test_logging_and_monitoring_components():
    assert errors(ClusterSettings, {**GKE, "loggingComponents": ["WORKLOADS"], "monitoringComponents": ["DCGM"]}) == [
        f"{SOURCE}: loggingComponents: loggingComponents needs SYSTEM_COMPONENTS when any component is enabled (fix: add SYSTEM_COMPONENTS)",
        f"{SOURCE}: monitoringComponents: monitoringComponents needs SYSTEM_COMPONENTS when any component is enabled (fix: add SYSTEM_COMPONENTS)",
        f"{SOURCE}: monitoringComponents: DCGM GPU metrics need managed Prometheus (fix: set managedPrometheus: true)",
    ]
    assert gke(monitoringComponents=["SYSTEM_COMPONENTS", "DCGM"], managedPrometheus=True).managed_prometheus
    assert gke(loggingComponents=[]).logging_components == ()
    assert errors(ClusterSettings, {**GKE, "loggingComponents": ["EVERYTHING"]})[0].startswith(
        f"{SOURCE}: loggingComponents[0]: 'EVERYTHING' is not allowed (fix: use one of 'SYSTEM_COMPONENTS',"
    )


def test_system_node_pool_settings():
    assert errors(
        ClusterSettings, {**GKE, "systemNodePool": {"name": "System", "totalMinNodeCount": 3, "totalMaxNodeCount": 2}}
    ) == [
        f"{SOURCE}: systemNodePool.name: 'System' is not a node pool name (fix: lowercase letters, digits and '-', starting with a letter, max 40)",
    ]
    assert errors(ClusterSettings, {**GKE, "systemNodePool": {"totalMinNodeCount": 3, "totalMaxNodeCount": 2}}) == [
        f"{SOURCE}: systemNodePool: totalMaxNodeCount 2 is below totalMinNodeCount 3 (fix: raise totalMaxNodeCount)"
    ]
