"""The ModelVersion provider's methods against the real MLflow server, called the way the engine calls them:
check(olds=old inputs, news) -> diff(old outputs, checked news) -> create/update/delete/read."""

import warnings

import pytest
from mlflow import MlflowClient

from registry.client import tags_of
from registry.resolution import GateRefused, resolve_and_gate
from registry.version_args import ModelVersionArgs
from tests.mlflow_server import FULL_EVIDENCE, force_version_status
from tests.provider_harness import GATES, acc, checked, failure, news

# MLFLOW_* env vars override stack config (as in MLflow's tools): keep the developer's out of the tests.
pytestmark = pytest.mark.usefixtures("no_mlflow_env")


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


def test_the_first_release_time_outlives_the_deployment_record(provider, make_model, registry_client):
    """released.<env>.at (the delivery metrics' deployment history) stays on a version after it is
    replaced, and a later return to it (a rollback) keeps the first time."""
    model = make_model([{"aliases": ["champion"]}, {}])
    first = checked(provider, news(model.name))
    created = provider.create(first)
    released = tags_of(registry_client.get_version(model.name, "1"))["released.dev.at"]
    assert released == created.outs["tags"]["deployed.dev"]
    registry_client.set_alias(model.name, "champion", "2")
    second = checked(provider, news(model.name), olds=first)
    moved = provider.update(created.id, created.outs, second).outs
    v1 = tags_of(registry_client.get_version(model.name, "1"))
    assert "deployed.dev" not in v1 and v1["released.dev.at"] == released
    assert "released.dev.at" in tags_of(registry_client.get_version(model.name, "2"))
    registry_client.set_version_tag(model.name, "1", "released.dev.at", "2026-01-01T00:00:00+00:00")
    registry_client.set_alias(model.name, "champion", "1")
    back = checked(provider, news(model.name), olds=second)
    provider.update(created.id, moved, back)
    v1 = tags_of(registry_client.get_version(model.name, "1"))
    assert "deployed.dev" in v1 and v1["released.dev.at"] == "2026-01-01T00:00:00+00:00"


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
