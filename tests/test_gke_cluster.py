"""GkeCluster and GpuNodePool on Pulumi's mocks: the wire format GKE receives, protection and
least privilege, and the pure pieces (kubeconfig, service account ids, replacement fields)."""

from __future__ import annotations

import json

from components.cluster.gke_cluster import NODE_SERVICE_ACCOUNT_ROLES, GkeCluster
from components.cluster.gpu_node_pool import replacement_fields
from components.cluster.kubeconfig import build_kubeconfig
from components.gcp.workload_identity import service_account_id
from ops.gcp_outputs import CA_CERTIFICATE as CA  # the computed outputs the offline engine also uses
from ops.gcp_outputs import DNS_ENDPOINT, ENDPOINT
from settings.gpu_node_pools import GpuNodePoolSettings
from tests.gke_engine import (
    L4_SPOT,
    PROJECT,
    cluster_args,
    run,
)

# ---------------------------------------------------------------------------------------------
# Pure pieces


def test_kubeconfig_authenticates_through_the_gke_auth_plugin_and_holds_no_secret():
    config = json.loads(build_kubeconfig("gke_acme-ml_us-central1_ml", ENDPOINT, CA))
    assert config["current-context"] == "gke_acme-ml_us-central1_ml"
    assert config["clusters"][0]["cluster"] == {"server": f"https://{ENDPOINT}", "certificate-authority-data": CA}
    assert config["contexts"][0]["context"] == {
        "cluster": "gke_acme-ml_us-central1_ml",
        "user": "gke_acme-ml_us-central1_ml",
    }
    user = config["users"][0]["user"]
    assert set(user) == {"exec"}  # no token, password or client key
    assert user["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert user["exec"]["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert user["exec"]["provideClusterInfo"] is True


def test_service_account_ids_are_valid_stable_and_distinct():
    assert service_account_id("churn", "prod") == "churn-prod"
    assert service_account_id("ml", "nodes") == "ml-nodes"
    assert service_account_id("Fraud_Detection", "dev") == "fraud-detection-dev"
    assert service_account_id("7up", "dev") == "sa-7up-dev"
    long_a = service_account_id("customer-lifetime-value-regression", "staging")
    long_b = service_account_id("customer-lifetime-value-regressor", "staging")
    assert len(long_a) <= 30 and len(long_b) <= 30 and long_a != long_b
    assert long_a == service_account_id("customer-lifetime-value-regression", "staging")
    assert service_account_id("a", "b") == "a-b-sa-id"


def test_replacement_fields_name_the_changes_that_replace_a_pool():
    old = GpuNodePoolSettings.model_validate(L4_SPOT)
    assert replacement_fields(old, old) == []
    changed = GpuNodePoolSettings.model_validate(
        {
            **L4_SPOT,
            "spot": False,
            "accelerator": {**L4_SPOT["accelerator"], "driverVersion": "DEFAULT", "sharing": None},
        }
    )
    assert replacement_fields(old, changed) == [
        "accelerator.driverVersion: LATEST -> DEFAULT",
        'accelerator.sharing: {"strategy": "TIME_SHARING", "maxSharedClientsPerGpu": 4} -> null',
        "spot: true -> false",
    ]
    # updated in place by the provider: the pool stays
    in_place = GpuNodePoolSettings.model_validate(
        {
            **L4_SPOT,
            "machineType": "g2-standard-16",
            "labels": {"team": "vision"},
            "diskSizeGb": 300,
            "nodeLocations": ["us-central1-c"],
            "autoscaling": {"totalMaxNodeCount": 9},
            "taints": [],
        }
    )
    assert replacement_fields(old, in_place) == []


# ---------------------------------------------------------------------------------------------
# GkeCluster and GpuNodePool


def test_prod_cluster_in_wire_format(engine):
    run(lambda: GkeCluster("platform", cluster_args(production=True)).kubeconfig)
    cluster = engine.one("gcp:container/cluster:Cluster")
    inputs = cluster["inputs"]
    assert cluster["name"] == "platform-cluster" and cluster["protect"] and cluster["deleteBeforeReplace"]
    assert (inputs["name"], inputs["project"], inputs["location"]) == ("ml", PROJECT, "us-central1")
    assert inputs["removeDefaultNodePool"] is True
    assert inputs["releaseChannel"] == {"channel": "REGULAR"}
    assert inputs["workloadIdentityConfig"] == {"workloadPool": "acme-ml.svc.id.goog"}
    assert inputs["datapathProvider"] == "ADVANCED_DATAPATH"
    assert inputs["enableShieldedNodes"] is True
    assert inputs["privateClusterConfig"] == {"enablePrivateNodes": True, "enablePrivateEndpoint": False}
    assert inputs["masterAuthorizedNetworksConfig"] == {
        "cidrBlocks": [{"cidrBlock": "198.51.100.0/24", "displayName": "ci"}]
    }
    assert inputs["controlPlaneEndpointsConfig"] == {"dnsEndpointConfig": {"allowExternalTraffic": True}}
    assert inputs["gatewayApiConfig"] == {"channel": "CHANNEL_STANDARD"}
    assert inputs["loggingConfig"] == {"enableComponents": ["SYSTEM_COMPONENTS", "WORKLOADS"]}
    assert inputs["monitoringConfig"] == {
        "enableComponents": ["SYSTEM_COMPONENTS"],
        "managedPrometheus": {"enabled": False},
    }
    assert inputs["binaryAuthorization"] == {"evaluationMode": "PROJECT_SINGLETON_POLICY_ENFORCE"}
    assert inputs["deletionProtection"] is True
    assert "networkPolicy" not in inputs  # Dataplane V2 enforces NetworkPolicies itself
    assert "ipAllocationPolicy" not in inputs  # GKE creates the Pod and Service ranges


def test_private_endpoint_and_custom_ranges(engine):
    run(
        lambda: GkeCluster(
            "platform",
            cluster_args(
                production=False,
                pools=(),
                privateEndpoint=True,
                masterIpv4Cidr="172.16.0.0/28",
                networking={"network": "vpc", "subnetwork": "gke", "podsRangeName": "pods", "servicesRangeName": "svc"},
            ),
        ).endpoint
    )
    inputs = engine.one("gcp:container/cluster:Cluster")["inputs"]
    assert inputs["privateClusterConfig"] == {
        "enablePrivateNodes": True,
        "enablePrivateEndpoint": True,
        "masterIpv4CidrBlock": "172.16.0.0/28",
    }
    assert (inputs["network"], inputs["subnetwork"]) == ("vpc", "gke")
    assert inputs["ipAllocationPolicy"] == {"clusterSecondaryRangeName": "pods", "servicesSecondaryRangeName": "svc"}


def test_node_service_account_has_only_the_least_privilege_roles(engine):
    run(lambda: GkeCluster("platform", cluster_args(production=True)).node_service_account_email)
    account = engine.one("gcp:serviceaccount/account:Account")["inputs"]
    assert account["accountId"] == "ml-nodes"
    bindings = engine.of_type("gcp:projects/iAMMember:IAMMember")
    assert (
        sorted(b["inputs"]["role"] for b in bindings)
        == sorted(NODE_SERVICE_ACCOUNT_ROLES)
        == sorted(
            [
                "roles/logging.logWriter",
                "roles/monitoring.metricWriter",
                "roles/monitoring.viewer",
                "roles/stackdriver.resourceMetadata.writer",
                "roles/artifactregistry.reader",
            ]
        )
    )
    assert {b["inputs"]["member"] for b in bindings} == {"serviceAccount:ml-nodes@acme-ml.iam.gserviceaccount.com"}


def test_system_pool_is_hardened_and_protected(engine):
    run(lambda: GkeCluster("platform", cluster_args(production=True)).kubeconfig)
    system = engine.one("gcp:container/nodePool:NodePool", "platform-system-pool")
    config = system["inputs"]["nodeConfig"]
    assert system["protect"] and system["ignoreChanges"] == ["initialNodeCount"]
    assert system["inputs"]["autoscaling"] == {
        "totalMinNodeCount": 1,
        "totalMaxNodeCount": 3,
        "locationPolicy": "BALANCED",
    }
    assert config["serviceAccount"] == "ml-nodes@acme-ml.iam.gserviceaccount.com"
    assert config["oauthScopes"] == ["https://www.googleapis.com/auth/cloud-platform"]
    assert config["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert config["shieldedInstanceConfig"] == {"enableSecureBoot": True, "enableIntegrityMonitoring": True}
    assert "guestAccelerators" not in config and config["taints"] == []
    role_urns = {r["urn"] for r in engine.of_type("gcp:projects/iAMMember:IAMMember")}
    assert role_urns <= set(system["dependencies"])  # nodes start only once they may write logs


def test_gpu_pools_in_wire_format(engine):
    run(lambda: GkeCluster("platform", cluster_args(production=True)).kubeconfig)
    spot = engine.one("gcp:container/nodePool:NodePool", "platform-l4-spot-pool")
    inputs, config = spot["inputs"], spot["inputs"]["nodeConfig"]
    assert (inputs["name"], inputs["cluster"], inputs["location"], inputs["project"]) == (
        "l4-spot",
        "ml",
        "us-central1",
        PROJECT,
    )
    assert config["guestAccelerators"] == [
        {
            "type": "nvidia-l4",
            "count": 1,
            "gpuDriverInstallationConfig": {"gpuDriverVersion": "LATEST"},
            "gpuSharingConfig": {"gpuSharingStrategy": "TIME_SHARING", "maxSharedClientsPerGpu": 4},
        }
    ]
    assert config["guestAccelerators"][0]["gpuDriverInstallationConfig"]["gpuDriverVersion"] == "LATEST"
    assert (
        config["spot"] is True and config["machineType"] == "g2-standard-8" and config["imageType"] == "COS_CONTAINERD"
    )
    assert config["taints"] == [
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"},
        {"key": "cloud.google.com/gke-spot", "value": "true", "effect": "NO_SCHEDULE"},
        {"key": "team", "value": "nlp", "effect": "NO_EXECUTE"},
    ]
    assert config["labels"] == {"team": "nlp"}
    assert config["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert config["shieldedInstanceConfig"] == {"enableSecureBoot": True, "enableIntegrityMonitoring": True}
    assert config["serviceAccount"] == "ml-nodes@acme-ml.iam.gserviceaccount.com"
    assert inputs["nodeLocations"] == ["us-central1-a", "us-central1-b"]
    assert inputs["autoscaling"] == {"totalMinNodeCount": 0, "totalMaxNodeCount": 3, "locationPolicy": "ANY"}
    assert inputs["management"] == {"autoRepair": True, "autoUpgrade": True}
    assert inputs["upgradeSettings"] == {"strategy": "SURGE", "maxSurge": 1, "maxUnavailable": 0}
    assert (
        "initialNodeCount" not in inputs and "queuedProvisioning" not in inputs and "reservationAffinity" not in config
    )

    a100 = engine.one("gcp:container/nodePool:NodePool", "platform-a100-pool")["inputs"]
    assert a100["nodeConfig"]["guestAccelerators"] == [
        {
            "type": "nvidia-tesla-a100",
            "count": 1,
            "gpuDriverInstallationConfig": {"gpuDriverVersion": "DEFAULT"},
            "gpuPartitionSize": "3g.20gb",
        }
    ]
    assert a100["nodeConfig"]["spot"] is False
    assert a100["nodeConfig"]["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]
    assert a100["nodeConfig"]["reservationAffinity"] == {
        "consumeReservationType": "SPECIFIC_RESERVATION",
        "key": "compute.googleapis.com/reservation-name",
        "values": ["a100-res"],
    }
    assert a100["upgradeSettings"] == {"strategy": "SURGE", "maxSurge": 0, "maxUnavailable": 1}

    batch = engine.one("gcp:container/nodePool:NodePool", "platform-t4-batch-pool")["inputs"]
    assert batch["queuedProvisioning"] == {"enabled": True}
    assert batch["management"] == {"autoRepair": False, "autoUpgrade": True}
    assert batch["nodeConfig"]["reservationAffinity"] == {"consumeReservationType": "NO_RESERVATION"}
    assert batch["nodeConfig"]["guestAccelerators"][0]["count"] == 2


def test_prod_protects_cluster_and_every_pool_and_dev_does_not(engine):
    run(lambda: GkeCluster("platform", cluster_args(production=True)).kubeconfig)
    pools = engine.of_type("gcp:container/nodePool:NodePool")
    assert len(pools) == 4
    assert all(p["protect"] and p["deleteBeforeReplace"] for p in pools)
    assert engine.one("gcp:container/cluster:Cluster")["protect"]
    components = {r["name"]: r for r in engine.of_type("mlops:infra:GpuNodePool")}
    assert set(components) == {"platform-l4-spot", "platform-a100", "platform-t4-batch"}
    # every GPU pool's NodePool is a child of its component, which is a child of the cluster component
    cluster_urn = engine.one("mlops:infra:GkeCluster")["urn"]
    assert all(c["parent"] == cluster_urn for c in components.values())
    assert {p["parent"] for p in pools if p["name"] != "platform-system-pool"} == {
        c["urn"] for c in components.values()
    }


def test_dev_cluster_is_not_protected(engine):
    run(lambda: GkeCluster("platform", cluster_args(production=False, deletionProtection=False)).kubeconfig)
    assert not engine.one("gcp:container/cluster:Cluster")["protect"]
    assert engine.one("gcp:container/cluster:Cluster")["inputs"]["deletionProtection"] is False
    assert not any(p["protect"] for p in engine.of_type("gcp:container/nodePool:NodePool"))


def test_kubernetes_provider_uses_the_cluster_outputs_and_waits_for_the_system_pool(engine):
    kubeconfig = run(lambda: GkeCluster("platform", cluster_args(production=True)).kubeconfig)
    provider = engine.one("pulumi:providers:kubernetes")
    assert provider["name"] == "platform-k8s"
    assert json.loads(provider["inputs"]["kubeconfig"]) == json.loads(kubeconfig)
    config = json.loads(kubeconfig)
    # The DNS-based endpoint (the default access): publicly trusted certificate, no CA data.
    assert config["clusters"][0]["cluster"] == {"server": f"https://{DNS_ENDPOINT}"}
    assert config["users"][0]["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert config["current-context"] == "gke_acme-ml_us-central1_ml"
    assert engine.one("gcp:container/nodePool:NodePool", "platform-system-pool")["urn"] in provider["dependencies"]


def test_dns_access_reaches_the_control_plane_from_hosted_runners_and_closes_the_ip_endpoint(engine):
    """GitHub-hosted runners have no addresses we could list: by default the cluster allows external
    traffic on its IAM-gated DNS endpoint, the kubeconfig uses it, and with no authorized networks listed
    the IP endpoint still gets an (empty) authorized-networks config, so nobody reaches it from outside."""
    kubeconfig = run(
        lambda: GkeCluster("platform", cluster_args(production=True, masterAuthorizedNetworks=[])).kubeconfig
    )
    inputs = engine.one("gcp:container/cluster:Cluster")["inputs"]
    assert inputs["controlPlaneEndpointsConfig"] == {"dnsEndpointConfig": {"allowExternalTraffic": True}}
    assert inputs["masterAuthorizedNetworksConfig"] == {"cidrBlocks": []}
    assert json.loads(kubeconfig)["clusters"][0]["cluster"]["server"] == f"https://{DNS_ENDPOINT}"


def test_ip_access_keeps_the_ip_endpoint_and_its_ca(engine):
    kubeconfig = run(lambda: GkeCluster("platform", cluster_args(production=False, controlPlaneAccess="ip")).kubeconfig)
    inputs = engine.one("gcp:container/cluster:Cluster")["inputs"]
    assert "controlPlaneEndpointsConfig" not in inputs
    assert json.loads(kubeconfig)["clusters"][0]["cluster"] == {
        "server": f"https://{ENDPOINT}",
        "certificate-authority-data": CA,
    }
