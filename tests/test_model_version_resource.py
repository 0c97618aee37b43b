"""The ModelVersion resource around its provider: the diff policy, a registry that is down, the token
that never leaks, the demo catalogue, and the render engine's hook that drives dynamic providers."""

import base64
import json
import logging
import time

import pulumi
import pytest
from pulumi.dynamic import CheckResult, CreateResult, ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc

from core.problems import ConfigError
from ops.dynamic_runner import DYNAMIC_TYPE, DynamicProviderError, run_dynamic
from registry.connection_keys import CONFIG_READ_TIMEOUT, CONFIG_RETRIES, CONFIG_TOKEN, CONFIG_URI
from registry.model_version import ModelVersion
from registry.provider import ModelVersionProvider
from registry.resolution import GateRefused, resolve_and_gate
from registry.version_args import ModelVersionArgs
from tests.mlflow_server import FULL_EVIDENCE
from tests.provider_harness import GATES, TOKEN, acc, checked, configured, failure, news

pytestmark = pytest.mark.usefixtures("no_mlflow_env")

# -- diff policy (no registry) ------------------------------------------------------------------------

BASE = {
    "model": "m",
    "registered_model": "m",
    "environment": "dev",
    "selector": {"version": 7},
    "gates": {},
    "record": True,
    "version": "7",
    "metrics": {"accuracy": 0.9},
}


@pytest.mark.parametrize(
    "change, replaces",
    [
        ({}, None),
        ({"selector": {"version": 7.0}}, None),
        ({"metrics": {"accuracy": 0.1}}, None),
        ({"version": "8"}, []),
        ({"record": False}, []),
        ({"gates": {"champion": None}}, []),
        ({"registered_model": "n"}, ["registered_model"]),
        ({"environment": "prod"}, ["environment"]),
    ],
)
def test_diff_is_explicit_and_replaces_only_on_identity(change, replaces):
    diff = ModelVersionProvider().diff("m@dev", BASE, {**BASE, **change})
    assert diff.changes is (replaces is not None)
    assert diff.replaces == (replaces or [])


def test_unknown_inputs_in_a_preview_defer_resolution(provider):
    result = provider.check({}, {**news("x"), "registered_model": rpc.UNKNOWN})
    assert result.failures == [] and "version" not in result.inputs


# -- registry down, secrets ------------------------------------------------------------------------------


def test_registry_down_is_a_clear_error_within_the_timeout_budget():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        uri = f"http://127.0.0.1:{s.getsockname()[1]}"
    provider = configured(uri, **{CONFIG_READ_TIMEOUT: "1", CONFIG_RETRIES: "2"})
    budget = provider._client().timeout_budget
    start = time.monotonic()
    prop, reason = failure(provider, news("churn-prediction"))
    assert time.monotonic() - start < budget + 1.0
    assert uri in reason and "cannot connect" in reason and "after 3 attempt(s)" in reason and TOKEN not in reason


def test_the_token_never_reaches_state_outputs_or_logs(mlflow_server, make_model, registry_client, caplog, capfd):
    model = make_model([{"aliases": ["champion"]}, acc(0.95)])
    caplog.set_level(logging.DEBUG)
    provider = configured(mlflow_server.uri)
    pickled = base64.b64decode(serialize_provider(provider))  # what Resource puts into the state
    assert vars(provider) == {} and TOKEN.encode() not in pickled
    assert b"registry.provider" in pickled and b"ModelVersionProvider" in pickled  # by reference
    first = checked(provider, news(model.name, gates=GATES))
    created = provider.create(first)
    registry_client.set_alias(model.name, "champion", "2")
    second = checked(provider, news(model.name, gates=GATES), olds=first)
    updated = provider.update(created.id, created.outs, second)
    read = provider.read(created.id, updated.outs)
    provider.delete(created.id, updated.outs)
    state = json.dumps([first, created.outs, second, updated.outs, read.outs, read.inputs])
    assert TOKEN not in state
    assert TOKEN.encode() not in base64.b64decode(serialize_provider(provider))
    out, err = capfd.readouterr()
    assert TOKEN not in out + err and TOKEN not in caplog.text
    assert any("urllib3" in r.name for r in caplog.records)  # debug logging was on: the check means something


# -- the demo catalogue ---------------------------------------------------------------------------------


def test_demo_seed_is_idempotent_and_its_challengers_meet_their_fate(seeded_demo, mlflow_server):
    from ops.demo_registry import seed_demo_registry

    again = seed_demo_registry(mlflow_server.uri)
    assert [(v.model, v.alias, v.version) for v in again] == [(v.model, v.alias, v.version) for v in seeded_demo]
    assert not any(v.created for v in again)
    trained = [
        v for v in seeded_demo if v.model in ("churn-prediction", "fraud-detection")
    ]  # the rest are GPU stand-ins
    acc_of = {(v.model, v.alias): v.metrics["accuracy"] for v in trained}
    assert acc_of["churn-prediction", "challenger"] - acc_of["churn-prediction", "champion"] >= 0.01
    assert acc_of["fraud-detection", "challenger"] < acc_of["fraud-detection", "champion"]
    assert all(set(v.metrics) == {"accuracy", "f1_weighted", "precision", "recall", "roc_auc"} for v in trained)
    client = configured(mlflow_server.uri)._client()
    churn = resolve_and_gate(
        client,
        ModelVersionArgs("churn-prediction", "churn-prediction", "staging", {"alias": "challenger"}, GATES),
        None,
    )
    assert churn.version == "2" and churn.verdict.champion.version == "1"
    with pytest.raises(GateRefused, match="fraud-detection .*challenger v2 .* vs champion v1"):
        resolve_and_gate(
            client,
            ModelVersionArgs("fraud-detection", "fraud-detection", "staging", {"alias": "challenger"}, GATES),
            None,
        )


# -- the resource and the render engine hook ----------------------------------------------------------


def test_bad_args_fail_at_construction_with_every_problem():
    with pytest.raises(ConfigError) as err:
        ModelVersion("x", ModelVersionArgs("churn", "", "qa", {"stage": "Prod"}, {"champion": {"margin": -1}}))
    text = str(err.value)
    assert "registered_model" in text and "'qa' is not an environment" in text and "stage 'Prod'" in text
    assert "margin" in text


def test_model_version_renders_through_run_dynamic_under_mocks(mlflow_server, make_model):
    model = make_model([{**acc(0.9), "aliases": ["champion"]}])
    config = {CONFIG_URI: mlflow_server.uri, CONFIG_TOKEN: TOKEN}
    seen = []

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args):
            seen.append(args.typ)
            return run_dynamic(args.inputs, config, preview=False)

        def call(self, args):
            return {}, []

    pulumi.runtime.set_mocks(Mocks(), project="mlops-platform", stack="dev", preview=False)

    @pulumi.runtime.test
    def render():
        mv = ModelVersion("churn-dev", ModelVersionArgs("churn-prediction", model.name, "dev", record=False))

        def verify(values):
            version, artifact_uri, gate, metrics, previous, aliases, tags = values
            assert version == "1" and artifact_uri.endswith("/artifacts") and gate["passed"]
            assert metrics == {"accuracy": 0.9, "f1_weighted": 0.9} and previous == ""
            assert aliases == ["champion"] and tags == FULL_EVIDENCE  # record=False: nothing written

        return pulumi.Output.all(
            mv.version, mv.artifact_uri, mv.gate, mv.metrics, mv.previous_version, mv.aliases, mv.tags
        ).apply(verify)

    render()
    assert seen == [DYNAMIC_TYPE]


CALLS = []


class EchoProvider(ResourceProvider):
    """Not ours: run_dynamic must drive any dynamic provider the way the host does."""

    def configure(self, req):
        CALLS.append(("configure", req.config.get("greeting")))  # un-namespaced: the project is prefixed

    def check(self, _olds, news):
        CALLS.append(("check", dict(_olds)))
        if not news.get("text"):
            return CheckResult(news, [pulumi.dynamic.CheckFailure("text", "text is required")])
        return CheckResult({**news, "checked": True}, [])

    def create(self, props):
        CALLS.append(("create", "__provider" in props))
        return CreateResult("echo-1", {"length": len(props["text"])})


def test_run_dynamic_drives_any_provider_like_the_host(monkeypatch):
    monkeypatch.setenv("PULUMI_PROJECT", "mlops-platform")
    CALLS.clear()
    inputs = {"text": "hi", "__provider": serialize_provider(EchoProvider())}
    config = {"mlops-platform:greeting": "hello"}
    assert run_dynamic(inputs, config, preview=True) == ("", {"text": "hi", "checked": True})
    assert [c[0] for c in CALLS] == ["configure", "check"]
    CALLS.clear()
    assert run_dynamic(inputs, config, preview=False) == ("echo-1", {"text": "hi", "checked": True, "length": 2})
    assert CALLS == [("configure", "hello"), ("check", {}), ("create", True)]
    with pytest.raises(DynamicProviderError, match="text: text is required"):
        run_dynamic({**inputs, "text": ""}, config, preview=True)
    wrapped = {**inputs, "__provider": rpc.wrap_rpc_secret(inputs["__provider"])}  # a secret-kept provider
    assert run_dynamic(wrapped, config, preview=True)[1]["checked"] is True
