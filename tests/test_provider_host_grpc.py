"""The ModelVersion provider inside the REAL Pulumi provider host, driven over gRPC like the engine does.

`python -u -m pulumi.dynamic` runs in the project directory in a fresh interpreter: it must unpickle the
provider by reference (pulumi/pulumi#7453, #7795), call configure with the stack config, and serve
Check/Diff/Create/Update/Read/Delete. The provider is serialized exactly as `pulumi.dynamic.Resource`
serializes it (`_serialize(True, serialize_provider, provider)`).
"""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime._serialization import _serialize
from pulumi.runtime.proto import provider_pb2 as pb
from pulumi.runtime.proto.provider_pb2_grpc import ResourceProviderStub

from registry.connection_keys import CONFIG_TOKEN, CONFIG_URI
from registry.provider import ModelVersionProvider
from registry.version_args import ModelVersionArgs

PROJECT_DIR = Path(__file__).resolve().parents[1]
TOKEN = "tok-GRPC-HOST-93be17"
URN = "urn:pulumi:dev::mlops-platform::pulumi-python:dynamic:Resource::churn-dev"
GATES = {
    "champion": {"metrics": ["accuracy", "f1_weighted"], "margin": 0.01},
    "evidence": [{"tag": "validation.data", "equals": "passed"}],
}


def struct(props: dict):
    # A private loop: asyncio.run() would leave the main thread without a current event loop, and
    # later tests that build pulumi Outputs outside a program (test_stack_settings) then fail.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}))
    finally:
        loop.close()


def plain(message) -> dict:
    return rpc.deserialize_properties(message)


@pytest.fixture
def host(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING_")}
    stderr = tmp_path / "host.stderr"
    with open(stderr, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic"],
            cwd=PROJECT_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            start_new_session=True,
        )
    try:
        port = int(proc.stdout.readline().decode().strip() or 0)
        assert port, f"provider host printed no port:\n{stderr.read_text()}"
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=30)
        yield ResourceProviderStub(channel), stderr
        channel.close()
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def test_provider_round_trip_in_the_real_host(host, mlflow_server, make_model, registry_client):
    stub, stderr = host
    model = make_model(
        [
            {"metrics": {"accuracy": 0.86, "f1_weighted": 0.86}, "aliases": ["champion"]},
            {"metrics": {"accuracy": 0.90, "f1_weighted": 0.90}},
            {"metrics": {"accuracy": 0.80, "f1_weighted": 0.80}, "aliases": ["challenger"]},
        ]
    )
    provider_string, secret = _serialize(True, serialize_provider, ModelVersionProvider())
    assert not secret
    inputs = {
        **ModelVersionArgs("churn-prediction", model.name, "dev", {"alias": "champion"}, GATES).to_inputs(),
        "__provider": provider_string,
    }

    stub.Configure(
        pb.ConfigureRequest(args=struct({CONFIG_URI: mlflow_server.uri, CONFIG_TOKEN: TOKEN}), acceptSecrets=True)
    )

    # up #1: check + create
    check1 = stub.Check(pb.CheckRequest(urn=URN, olds=struct({}), news=struct(inputs)))
    assert list(check1.failures) == []
    checked1 = plain(check1.inputs)
    assert checked1["version"] == "1" and checked1["__provider"] == provider_string
    created = stub.Create(pb.CreateRequest(urn=URN, properties=check1.inputs))
    outs1 = plain(created.properties)
    assert created.id == f"{model.name}@dev" and outs1["version"] == "1" and "dev-live" in outs1["aliases"]
    assert registry_client.get_version_by_alias(model.name, "dev-live")["version"] == "1"

    # the champion alias moves: the preview (check + diff) shows 1 -> 2, an update (not a replace)
    registry_client.set_alias(model.name, "champion", "2")
    check2 = stub.Check(pb.CheckRequest(urn=URN, olds=check1.inputs, news=struct(inputs)))
    checked2 = plain(check2.inputs)
    assert (checked2["version"], checked2["previous_version"]) == ("2", "1")
    diff = stub.Diff(pb.DiffRequest(id=created.id, urn=URN, olds=created.properties, news=check2.inputs))
    assert diff.changes == pb.DiffResponse.DIFF_SOME and list(diff.replaces) == []
    updated = stub.Update(pb.UpdateRequest(id=created.id, urn=URN, olds=created.properties, news=check2.inputs))
    outs2 = plain(updated.properties)
    assert outs2["version"] == "2" and outs2["__provider"] == provider_string
    assert registry_client.get_version_by_alias(model.name, "dev-live")["version"] == "2"

    # refresh: same version, inputs returned, and the next preview shows no change
    read = stub.Read(pb.ReadRequest(id=created.id, urn=URN, properties=updated.properties, inputs=check2.inputs))
    assert read.id == created.id and plain(read.properties)["version"] == "2"
    assert plain(read.inputs)["version"] == "2"
    check3 = stub.Check(pb.CheckRequest(urn=URN, olds=read.inputs, news=struct(inputs)))
    diff3 = stub.Diff(pb.DiffRequest(id=read.id, urn=URN, olds=read.properties, news=check3.inputs))
    assert diff3.changes == pb.DiffResponse.DIFF_NONE

    # a worse challenger: the gate refusal is a check failure, not a crashed host
    worse = {**inputs, "selector": {"alias": "challenger"}}
    refused = stub.Check(pb.CheckRequest(urn=URN, olds=read.inputs, news=struct(worse)))
    assert [f.property for f in refused.failures] == ["gates"]
    reason = refused.failures[0].reason
    assert "challenger v3 (accuracy=0.8000" in reason and "champion v2" in reason

    stub.Delete(pb.DeleteRequest(id=created.id, urn=URN, properties=updated.properties))
    assert "dev-live" not in registry_client.get_version(model.name, "2")["aliases"]
    assert TOKEN not in stderr.read_text()


def test_host_reports_a_registry_that_is_down_as_a_check_failure(host):
    stub, _ = host
    stub.Configure(
        pb.ConfigureRequest(
            args=struct({CONFIG_URI: "http://127.0.0.1:9", CONFIG_TOKEN: TOKEN, "mlops-platform:mlflowRetries": "0"})
        )
    )
    provider_string, _ = _serialize(True, serialize_provider, ModelVersionProvider())
    inputs = {
        **ModelVersionArgs("churn-prediction", "churn-prediction", "dev").to_inputs(),
        "__provider": provider_string,
    }
    result = stub.Check(pb.CheckRequest(urn=URN, olds=struct({}), news=struct(inputs)))
    assert [f.property for f in result.failures] == ["selector"]
    reason = result.failures[0].reason
    assert "http://127.0.0.1:9" in reason and "cannot connect" in reason and TOKEN not in reason
