"""The ModelVersion provider's methods against the real MLflow server, called the way the engine calls them:
check(olds=old inputs, news) -> diff(old outputs, checked news) -> create/update/delete/read."""

import base64
import json
import logging
import time
import warnings

import pulumi
import pytest
from mlflow import MlflowClient
from pulumi.dynamic import CheckResult, Config, ConfigureRequest, CreateResult, ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc

from core.problems import ConfigError
from ops.dynamic_runner import DYNAMIC_TYPE, DynamicProviderError, run_dynamic
from registry.client import tags_of
from registry.model_version import ModelVersion
from registry.provider import ModelVersionProvider
from registry.resolution import (
    CONFIG_READ_TIMEOUT,
    CONFIG_RETRIES,
    CONFIG_TOKEN,
    CONFIG_URI,
    GateRefused,
    ModelVersionArgs,
    resolve_and_gate,
)
from tests.mlflow_server import FULL_EVIDENCE, force_version_status

TOKEN = "tok-PROVIDER-5e2a91c0"
GATES = {
    "min_metrics": {"accuracy": 0.80},
    "champion": {"metrics": ["accuracy", "f1_weighted"], "margin": 0.01},
    "evidence": [
        {"tag": "validation.data", "equals": "passed"},
        {"tag": "scan.max_cvss", "max": 7.0},
        {"tag": "compliance", "equals": "approved"},
    ],
}


def acc(value):
    return {"metrics": {"accuracy": value, "f1_weighted": value}}


@pytest.fixture(autouse=True)
def no_mlflow_env(monkeypatch):
    # MLFLOW_* env vars override stack config (as in MLflow's tools): keep the developer's out of the tests.
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN", raising=False)


def configured(uri, **extra) -> ModelVersionProvider:
    provider = ModelVersionProvider()
    provider.configure(ConfigureRequest(Config({CONFIG_URI: uri, CONFIG_TOKEN: TOKEN, **extra}, "mlops-platform")))
    return provider


@pytest.fixture
def provider(mlflow_server):
    return configured(mlflow_server.uri)


def news(name, selector=None, gates=None, env="dev", record=True, model="churn-prediction"):
    return ModelVersionArgs(model, name, env, selector or {"alias": "champion"}, gates or {}, record).to_inputs()


def checked(provider, new, olds=None) -> dict:
    result = provider.check(olds or {}, new)
    assert result.failures == [], [f.reason for f in result.failures]
    return result.inputs


def failure(provider, new, olds=None):
    result = provider.check(olds or {}, new)
    assert len(result.failures) == 1, result.inputs
    return result.failures[0].property, result.failures[0].reason


# -- resolution per selector ------------------------------------------------------------------------------


def test_every_selector_resolves_to_a_ready_version(provider, make_model, mlflow_server):
    model = make_model([{"aliases": ["champion"]}, {}, {}])
    with warnings.catch_warnings():  # MLflow's own deprecation of stages: expected, stages are what we test
        warnings.simplefilter("ignore", FutureWarning)
        MlflowClient(mlflow_server.uri).transition_model_version_stage(model.name, "2", "Production")
    assert checked(provider, news(model.name, {"alias": "champion"}))["version"] == "1"
    with pytest.warns(FutureWarning, match="deprecated since MLflow 2.9"):
        assert checked(provider, news(model.name, {"stage": "production"}))["version"] == "2"
    assert checked(provider, news(model.name, {"version": 3.0}))["version"] == "3"  # numbers arrive as floats
    assert checked(provider, news(model.name, {"latest": True}))["version"] == "3"


def test_latest_skips_versions_that_are_not_ready(provider, make_model, mlflow_server):
    model = make_model([{}, {}, {}])
    force_version_status(mlflow_server, model.name, "3", "PENDING_REGISTRATION")
    assert checked(provider, news(model.name, {"latest": True}))["version"] == "2"


def test_a_selected_version_that_is_not_ready_is_refused(provider, make_model, mlflow_server):
    model = make_model([{}, {"aliases": ["champion"]}])
    force_version_status(mlflow_server, model.name, "2", "FAILED_REGISTRATION")
    prop, reason = failure(provider, news(model.name))
    assert prop == "selector" and "version 2 is FAILED_REGISTRATION, not READY" in reason
    assert "wait for its registration" in reason
    force_version_status(mlflow_server, model.name, "2", "PENDING_REGISTRATION")
    assert "PENDING_REGISTRATION, not READY" in failure(provider, news(model.name, {"version": 2}))[1]


def test_check_puts_what_dependants_and_diff_need_into_the_inputs(provider, make_model):
    model = make_model([{**acc(0.91), "aliases": ["champion"]}])
    inputs = checked(provider, news(model.name, gates=GATES))
    assert inputs["version"] == "1" and inputs["metrics"] == {"accuracy": 0.91, "f1_weighted": 0.91}
    assert inputs["tags"] == FULL_EVIDENCE and inputs["source"].startswith("models:/m-")
    assert inputs["run_id"] and inputs["created_at"].endswith("+00:00") and inputs["previous_version"] == ""
    assert inputs["gate"]["passed"] and inputs["gate"]["candidate_version"] == "1"
    assert "artifact_uri" not in inputs  # a third call: made in create, not in every preview


def test_alias_moved_check_and_diff_report_the_new_version(provider, make_model, registry_client):
    model = make_model([{**acc(0.86), "aliases": ["champion"]}, acc(0.90)])
    first = checked(provider, news(model.name, gates=GATES))
    created = provider.create(first)
    again = checked(provider, news(model.name, gates=GATES), olds=first)
    assert provider.diff(created.id, created.outs, again).changes is False
    registry_client.set_alias(model.name, "champion", "2")
    moved = checked(provider, news(model.name, gates=GATES), olds=first)
    assert (moved["version"], moved["previous_version"]) == ("2", "1")
    assert moved["gate"]["champion_version"] == "1"  # the deployed version is the champion to beat
    diff = provider.diff(created.id, created.outs, moved)
    assert diff.changes is True and diff.replaces == []


def test_alias_deleted_is_a_clear_error(provider, make_model, registry_client, mlflow_server):
    model = make_model([{"aliases": ["champion"]}])
    registry_client.delete_alias(model.name, "champion")
    prop, reason = failure(provider, news(model.name))
    assert prop == "selector"
    for part in (
        "churn-prediction (dev)",
        "{'alias': 'champion'}",
        "has no alias 'champion'",
        mlflow_server.uri,
        "fix: set it",
    ):
        assert part in reason


def test_missing_model_is_a_clear_error(provider, mlflow_server):
    prop, reason = failure(provider, news("never-registered", {"latest": True}))
    assert "registered model 'never-registered' does not exist" in reason and mlflow_server.uri in reason


def test_bad_selector_is_a_check_failure_before_any_call(provider):
    prop, reason = failure(provider, news("x", {"alias": "champion", "version": 3}))
    assert prop == "selector" and "exactly one key" in reason and "fix:" in reason


# -- gates -------------------------------------------------------------------------------------------


def test_a_better_challenger_passes_the_champion_gate(provider, make_model):
    model = make_model([{**acc(0.86), "aliases": ["champion"]}, {**acc(0.89), "aliases": ["challenger"]}])
    gate = checked(provider, news(model.name, {"alias": "challenger"}, GATES))["gate"]
    assert gate["passed"] and gate["champion_version"] == "1" and gate["candidate_metrics"]["accuracy"] == 0.89


def test_a_worse_challenger_is_refused_naming_both_versions_and_metrics(provider, make_model):
    model = make_model([{**acc(0.93), "aliases": ["champion"]}, {**acc(0.91), "aliases": ["challenger"]}])
    prop, reason = failure(provider, news(model.name, {"alias": "challenger"}, GATES, model="fraud-detection"))
    assert prop == "gates"
    assert "fraud-detection (dev)" in reason and "v2 (accuracy=0.9100" in reason and "v1 (accuracy=0.9300" in reason
    with pytest.raises(GateRefused):
        resolve_and_gate(
            provider._client(),
            ModelVersionArgs("fraud-detection", model.name, "dev", {"alias": "challenger"}, GATES),
            None,
        )


def test_the_champion_is_the_version_deployed_now_not_the_registry_alias(provider, make_model):
    model = make_model([{**acc(0.80), "aliases": ["champion"]}, acc(0.95), {**acc(0.90), "aliases": ["challenger"]}])
    deployed = checked(provider, news(model.name, {"version": 2}))  # v2 (0.95) runs in dev now
    prop, reason = failure(provider, news(model.name, {"alias": "challenger"}, GATES), olds=deployed)
    assert prop == "gates" and "champion v2 (accuracy=0.9500" in reason
    # With nothing deployed, the registry's champion (v1, 0.80) is the bar, and v3 clears it.
    assert checked(provider, news(model.name, {"alias": "challenger"}, GATES))["gate"]["champion_version"] == "1"


def test_a_pin_bypasses_quality_gates_to_force_a_rollback(provider, make_model):
    model = make_model([acc(0.70), {**acc(0.95), "aliases": ["champion"]}])
    deployed = checked(provider, news(model.name, gates=GATES))
    rollback = checked(provider, news(model.name, {"version": 1}, GATES), olds=deployed)
    assert rollback["version"] == "1" and rollback["previous_version"] == "2"
    gate = rollback["gate"]
    assert gate["passed"] and gate["bypassed"] and gate["champion_version"] == "2"
    assert sum("bypassed by pin" in r for r in gate["reasons"]) == 2


def test_a_pin_never_bypasses_evidence(provider, make_model):
    model = make_model([{**acc(0.95), "tags": {"validation.data": "passed", "scan.max_cvss": "9.8"}}])
    prop, reason = failure(provider, news(model.name, {"version": 1}, GATES))
    assert prop == "gates" and "scan.max_cvss=9.8 exceeds the maximum 7.0" in reason and "no tag compliance" in reason


# -- record: create, update, delete, read ---------------------------------------------------------------


def test_create_records_the_deployment_and_delete_removes_it(provider, make_model, registry_client):
    model = make_model([{"aliases": ["champion"]}])
    inputs = checked(provider, news(model.name))
    created = provider.create(inputs)
    assert created.id == f"{model.name}@dev"
    outs = created.outs
    assert outs["version"] == "1" and "dev-live" in outs["aliases"] and "champion" in outs["aliases"]
    assert outs["artifact_uri"].endswith("/artifacts") and not outs["artifact_uri"].startswith("models:/")
    stamp = outs["tags"]["deployed.dev"]
    assert registry_client.get_version_by_alias(model.name, "dev-live")["version"] == "1"
    # Idempotent: a second create (e.g. a retried up) keeps the original deployment time.
    assert provider.create(inputs).outs["tags"]["deployed.dev"] == stamp
    provider.delete(created.id, outs)
    provider.delete(created.id, outs)
    assert "deployed.dev" not in tags_of(registry_client.get_version(model.name, "1"))
    assert "dev-live" not in registry_client.get_version(model.name, "1")["aliases"]


def test_delete_leaves_an_alias_someone_moved_elsewhere(provider, make_model, registry_client):
    model = make_model([{"aliases": ["champion"]}, {}])
    created = provider.create(checked(provider, news(model.name)))
    registry_client.set_alias(model.name, "dev-live", "2")
    provider.delete(created.id, created.outs)
    assert registry_client.get_version_by_alias(model.name, "dev-live")["version"] == "2"


def test_update_moves_the_record_to_the_new_version(provider, make_model, registry_client):
    model = make_model([{"aliases": ["champion"]}, {}])
    first = checked(provider, news(model.name))
    created = provider.create(first)
    registry_client.set_alias(model.name, "champion", "2")
    second = checked(provider, news(model.name), olds=first)
    outs = provider.update(created.id, created.outs, second).outs
    assert outs["version"] == "2" and outs["previous_version"] == "1" and "dev-live" in outs["aliases"]
    assert registry_client.get_version_by_alias(model.name, "dev-live")["version"] == "2"
    assert "deployed.dev" not in tags_of(registry_client.get_version(model.name, "1"))
    assert "deployed.dev" in tags_of(registry_client.get_version(model.name, "2"))


def test_record_false_writes_nothing(provider, make_model, registry_client):
    model = make_model([{"aliases": ["champion"]}])
    outs = provider.create(checked(provider, news(model.name, record=False))).outs
    assert "dev-live" not in outs["aliases"] and "deployed.dev" not in outs["tags"]
    assert tags_of(registry_client.get_version(model.name, "1")) == FULL_EVIDENCE


def test_refresh_keeps_the_deployed_version_and_gives_no_false_diff(provider, make_model, registry_client):
    model = make_model([{"aliases": ["champion"]}, {}])
    first = checked(provider, news(model.name))
    created = provider.create(first)
    read = provider.read(created.id, created.outs)
    assert read.id == created.id and read.outs["version"] == "1" and "dev-live" in read.outs["aliases"]
    assert read.inputs["version"] == "1" and "artifact_uri" not in read.inputs
    recheck = checked(provider, news(model.name), olds=read.inputs)
    assert provider.diff(read.id, read.outs, recheck).changes is False
    registry_client.set_alias(model.name, "champion", "2")
    assert provider.read(created.id, created.outs).outs["version"] == "1"  # refresh does not re-select


def test_refresh_of_a_version_deleted_from_the_registry_reads_as_gone(provider, make_model, mlflow_server):
    model = make_model([{"aliases": ["champion"]}, {}])
    created = provider.create(checked(provider, news(model.name, record=False)))
    MlflowClient(mlflow_server.uri).delete_model_version(model.name, "1")
    assert provider.read(created.id, created.outs).id == ""
    provider.delete(created.id, {**created.outs, "record": True})  # nothing left to clean: no error


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
