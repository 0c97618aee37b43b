"""The recording engine the GKE and GCP component tests share: Pulumi's mocks with the computed
outputs the offline engine also uses (ops/gcp_outputs.py), recording every registration with its
options and every warning. Loaded as a pytest plugin (tests/conftest.py), so `engine` is a fixture."""

from __future__ import annotations

import logging

import pulumi
import pytest
from google.protobuf.json_format import MessageToDict
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor

from components.cluster.gke_cluster import GkeClusterArgs
from ops.gcp_outputs import gcp_invoke, gcp_outputs
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
        if request.type == "pulumi:pulumi:Stack":
            return response  # registered once per process, by whichever test runs first: not ours to count
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
                # Each alias as the SDK sends it: {"spec": {"parentUrn": ...}} or {"urn": ...}.
                "aliases": [MessageToDict(alias) for alias in request.aliases],
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
