"""The infrastructure components under Pulumi mocks: inputs checked in wire format (camelCase, as
the engine and the provider receive them), resource options observed on the mock monitor."""

from __future__ import annotations

import json
import logging

import pulumi
import pytest
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor

from components.cluster.gke_cluster import NODE_SERVICE_ACCOUNT_ROLES, GkeCluster, GkeClusterArgs, build_kubeconfig
from components.cluster.gpu_node_pool import replacement_fields
from components.gcp.binary_authorization import AttestorKey, BinaryAuthorization, BinaryAuthorizationArgs
from components.gcp.model_storage import ModelStorage, ModelStorageArgs
from components.gcp.workload_identity import ModelIdentity, ModelIdentityArgs, service_account_id
from ops.gcp_outputs import CA_CERTIFICATE as CA  # the computed outputs the offline engine also uses
from ops.gcp_outputs import ENDPOINT, gcp_invoke, gcp_outputs
from settings.cluster import ClusterSettings
from settings.gpu_node_pools import GpuNodePoolSettings

PROJECT = "acme-ml"
GKE = {
    "mode": "gke",
    "project": PROJECT,
    "location": "us-central1",
    "name": "ml",
    "masterAuthorizedNetworks": [{"cidrBlock": "198.51.100.0/24", "displayName": "ci"}],
}
L4_SPOT = {
    "name": "l4-spot",
    "machineType": "g2-standard-8",
    "spot": True,
    "nodeLocations": ["us-central1-a", "us-central1-b"],
    "accelerator": {
        "type": "nvidia-l4",
        "count": 1,
        "driverVersion": "LATEST",
        "sharing": {"strategy": "TIME_SHARING", "maxSharedClientsPerGpu": 4},
    },
    "autoscaling": {"totalMinNodeCount": 0, "totalMaxNodeCount": 3},
    "taints": [{"key": "team", "value": "nlp", "effect": "NoExecute"}],
    "labels": {"team": "nlp"},
}
A100 = {
    "name": "a100",
    "machineType": "a2-highgpu-1g",
    "accelerator": {"type": "nvidia-tesla-a100", "count": 1, "migPartitionSize": "3g.20gb"},
    "autoscaling": {"totalMinNodeCount": 1, "totalMaxNodeCount": 2, "locationPolicy": "BALANCED"},
    "reservationAffinity": {
        "consumeReservationType": "SPECIFIC_RESERVATION",
        "key": "compute.googleapis.com/reservation-name",
        "values": ["a100-res"],
    },
    "upgradeSettings": {"maxSurge": 0, "maxUnavailable": 1},
}
T4_BATCH = {
    "name": "t4-batch",
    "machineType": "n1-standard-8",
    "accelerator": {"type": "nvidia-tesla-t4", "count": 2},
    "autoscaling": {"totalMaxNodeCount": 4},
    "queuedProvisioning": True,
    "autoRepair": False,
    "reservationAffinity": {"consumeReservationType": "NO_RESERVATION"},
}


class RecordingMocks(pulumi.runtime.Mocks):
    """Echo inputs as state, add the outputs the providers compute, and record every resource and call."""

    def __init__(self, adopted_workload_pool: str | None = f"{PROJECT}.svc.id.goog"):
        self.adopted_workload_pool = adopted_workload_pool
        self.calls: list[pulumi.runtime.MockCallArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        state = dict(args.inputs) | gcp_outputs(args.typ, args.name, args.inputs)
        return (f"{args.name}-id" if args.custom else None), state

    def call(self, args: pulumi.runtime.MockCallArgs):
        self.calls.append(args)
        return gcp_invoke(args.token, args.args, adopted_workload_pool=self.adopted_workload_pool)


class RecordingMonitor(MockMonitor):
    """The options each resource was registered with (protect is not visible to Mocks.new_resource)."""

    def __init__(self, mocks):
        super().__init__(mocks)
        self.registered: list[dict] = []

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        self.registered.append(
            {
                "type": request.type,
                "name": request.name,
                "urn": response.urn,
                "parent": request.parent,
                "custom": request.custom,
                "inputs": rpc.deserialize_properties(request.object),
                "protect": request.protect,
                "deleteBeforeReplace": request.deleteBeforeReplace,
                "ignoreChanges": list(request.ignoreChanges),
                "dependencies": list(request.dependencies),
            }
        )
        return response

    def of_type(self, type_: str) -> list[dict]:
        return [r for r in self.registered if r["type"] == type_]

    def one(self, type_: str, name: str | None = None) -> dict:
        [found] = [r for r in self.of_type(type_) if name is None or r["name"] == name]
        return found


class Warnings(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record):
        if record.levelno == logging.WARNING:
            self.messages.append(record.getMessage())


@pytest.fixture
def engine(request):
    mocks = getattr(request, "param", None) or RecordingMocks()
    monitor = RecordingMonitor(mocks)
    warnings = Warnings()
    logger = logging.getLogger(f"pulumi-mocks-{request.node.name}")
    logger.addHandler(warnings)
    pulumi.runtime.set_mocks(
        mocks, project="mlops-platform", stack="dev", preview=False, monitor=monitor, logger=logger
    )
    monitor.warnings = warnings.messages
    monitor.mocks = mocks
    return monitor


def run(program):
    """Run a Pulumi program under the mocks until every registration is done; return its value."""
    box = {}

    @pulumi.runtime.test
    def wrapped():
        return pulumi.Output.from_input(program()).apply(lambda value: box.setdefault("value", value))

    wrapped()
    return box.get("value")


def cluster_args(production, pools=(L4_SPOT, A100, T4_BATCH), previous=(), **cluster):
    return GkeClusterArgs(
        settings=ClusterSettings.model_validate({**GKE, **cluster}),
        gpu_node_pools=tuple(GpuNodePoolSettings.model_validate(p) for p in pools),
        production=production,
        previous_gpu_node_pools=list(previous) or None,
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
    assert config["clusters"][0]["cluster"] == {"server": f"https://{ENDPOINT}", "certificate-authority-data": CA}
    assert config["users"][0]["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert config["current-context"] == "gke_acme-ml_us-central1_ml"
    assert engine.one("gcp:container/nodePool:NodePool", "platform-system-pool")["urn"] in provider["dependencies"]


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
    assert json.loads(kubeconfig)["clusters"][0]["cluster"]["server"] == f"https://{ENDPOINT}"
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


# ---------------------------------------------------------------------------------------------
# ModelIdentity, ModelStorage, BinaryAuthorization


def test_model_identity_binds_the_kubernetes_service_account_without_keys(engine):
    def program():
        identity = ModelIdentity(
            "churn-identity",
            ModelIdentityArgs(
                project=PROJECT,
                model="churn-prediction",
                environment="prod",
                namespace="ml-churn-prediction",
                kubernetes_service_account="churn-prediction",
                workload_pool=pulumi.Output.from_input(f"{PROJECT}.svc.id.goog"),
                bucket="acme-ml-prod-models",
                repository="model-serving",
                repository_location="us-central1",
            ),
        )
        return pulumi.Output.all(identity.email, identity.ksa_annotations)

    email, annotations = run(program)
    assert email == "churn-prediction-prod@acme-ml.iam.gserviceaccount.com"
    assert annotations == {"iam.gke.io/gcp-service-account": email}
    wi = engine.one("gcp:serviceaccount/iAMMember:IAMMember")["inputs"]
    assert wi == {
        "serviceAccountId": f"projects/{PROJECT}/serviceAccounts/{email}",
        "role": "roles/iam.workloadIdentityUser",
        "member": "serviceAccount:acme-ml.svc.id.goog[ml-churn-prediction/churn-prediction]",
    }
    bucket = engine.one("gcp:storage/bucketIAMMember:BucketIAMMember")["inputs"]
    assert bucket == {
        "bucket": "acme-ml-prod-models",
        "role": "roles/storage.objectViewer",
        "member": f"serviceAccount:{email}",
    }
    repo = engine.one("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember")["inputs"]
    assert (repo["repository"], repo["location"], repo["role"], repo["member"]) == (
        "model-serving",
        "us-central1",
        "roles/artifactregistry.reader",
        f"serviceAccount:{email}",
    )
    assert not [r for r in engine.registered if r["type"].startswith("gcp:serviceaccount/key")]
    assert all(r["name"].startswith("churn-identity") for r in engine.registered)


def storage_args(production):
    return ModelStorageArgs(
        project=PROJECT,
        location="us-central1",
        environment="prod" if production else "dev",
        bucket_name="acme-ml-prod-models",
        repository_id="model-serving",
        production=production,
    )


def test_model_storage_bucket_is_private_versioned_and_kept_in_prod(engine):
    url = run(lambda: ModelStorage("storage", storage_args(production=True)).repository_url)
    assert url == "us-central1-docker.pkg.dev/acme-ml/model-serving"
    bucket = engine.one("gcp:storage/bucket:Bucket")
    inputs = bucket["inputs"]
    assert bucket["protect"] and inputs["forceDestroy"] is False
    assert inputs["uniformBucketLevelAccess"] is True and inputs["publicAccessPrevention"] == "enforced"
    assert inputs["versioning"] == {"enabled": True}
    assert inputs["lifecycleRules"] == [
        {"action": {"type": "Delete"}, "condition": {"withState": "ARCHIVED", "daysSinceNoncurrentTime": 30}},
        {"action": {"type": "Delete"}, "condition": {"withState": "ARCHIVED", "numNewerVersions": 5}},
    ]
    assert "encryption" not in inputs
    repo = engine.one("gcp:artifactregistry/repository:Repository")
    assert repo["protect"]
    assert repo["inputs"]["format"] == "DOCKER"
    assert repo["inputs"]["vulnerabilityScanningConfig"] == {"enablementConfig": "INHERITED"}
    assert repo["inputs"]["dockerConfig"] == {"immutableTags": True}
    assert repo["inputs"]["cleanupPolicies"] == [
        {"id": "keep-newest", "action": "KEEP", "mostRecentVersions": {"keepCount": 20}},
        {"id": "delete-old", "action": "DELETE", "condition": {"tagState": "ANY", "olderThan": "15552000s"}},
    ]
    assert repo["inputs"]["cleanupPolicyDryRun"] is False


def test_model_storage_in_dev_can_be_torn_down(engine):
    run(lambda: ModelStorage("storage", storage_args(production=False)).bucket_url)
    bucket = engine.one("gcp:storage/bucket:Bucket")
    assert not bucket["protect"] and bucket["inputs"]["forceDestroy"] is True
    assert not engine.one("gcp:artifactregistry/repository:Repository")["protect"]


KEY = AttestorKey(
    id="//cloudkms.googleapis.com/v1/projects/acme-ml/locations/global/keyRings/ci/cryptoKeys/attestor/cryptoKeyVersions/1",
    public_key_pem="-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n",
    signature_algorithm="ECDSA_P256_SHA256",
)


def test_prod_policy_enforces_the_scan_attestation(engine):
    attestor = run(
        lambda: BinaryAuthorization(
            "binauthz",
            BinaryAuthorizationArgs(
                project=PROJECT,
                production=True,
                attestor_name="vulnerability-scan-passed",
                attestor_keys=(KEY,),
                signer_service_account="ci-signer@acme-ml.iam.gserviceaccount.com",
                allowlist=("quay.io/argoproj/**",),
            ),
        ).attestor
    )
    assert attestor == "projects/acme-ml/attestors/vulnerability-scan-passed"
    policy = engine.one("gcp:binaryauthorization/policy:Policy")
    assert policy["protect"]
    rule = policy["inputs"]["defaultAdmissionRule"]
    assert rule == {
        "evaluationMode": "REQUIRE_ATTESTATION",
        "enforcementMode": "ENFORCED_BLOCK_AND_AUDIT_LOG",
        "requireAttestationsBies": ["projects/acme-ml/attestors/vulnerability-scan-passed"],
    }
    assert policy["inputs"]["globalPolicyEvaluationMode"] == "ENABLE"
    assert [p["namePattern"] for p in policy["inputs"]["admissionWhitelistPatterns"]] == [
        "gcr.io/gke-release/**",
        "gke.gcr.io/**",
        "gcr.io/google-containers/**",
        "gcr.io/stackdriver-agents/**",
        "quay.io/argoproj/**",
    ]
    note = engine.one("gcp:containeranalysis/note:Note")["inputs"]
    assert note["name"] == "vulnerability-scan-passed-note"
    created = engine.one("gcp:binaryauthorization/attestor:Attestor")["inputs"]
    assert created["attestationAuthorityNote"] == {
        "noteReference": "vulnerability-scan-passed-note",
        "publicKeys": [
            {
                "id": KEY.id,
                "pkixPublicKey": {"publicKeyPem": KEY.public_key_pem, "signatureAlgorithm": "ECDSA_P256_SHA256"},
            }
        ],
    }
    attach = engine.one("gcp:containeranalysis/noteIamMember:NoteIamMember")["inputs"]
    assert (attach["role"], attach["member"]) == (
        "roles/containeranalysis.notes.attacher",
        "serviceAccount:ci-signer@acme-ml.iam.gserviceaccount.com",
    )


def test_other_environments_dry_run_and_an_existing_attestor_is_adopted(engine):
    run(
        lambda: BinaryAuthorization(
            "binauthz",
            BinaryAuthorizationArgs(
                project=PROJECT,
                production=False,
                attestor_name="vulnerability-scan-passed",
            ),
        ).attestor
    )
    policy = engine.one("gcp:binaryauthorization/policy:Policy")
    assert not policy["protect"]
    assert policy["inputs"]["defaultAdmissionRule"]["enforcementMode"] == "DRYRUN_AUDIT_LOG_ONLY"
    assert policy["inputs"]["defaultAdmissionRule"]["requireAttestationsBies"] == [
        "projects/acme-ml/attestors/vulnerability-scan-passed"
    ]
    assert (
        engine.of_type("gcp:binaryauthorization/attestor:Attestor") == []
        and engine.of_type("gcp:containeranalysis/note:Note") == []
    )
