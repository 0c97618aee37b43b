"""promote when the registry fails half-way: the pending record it leaves, and `--recover` undoing or
completing the run. The registry is the real MLflow test server, the fault a proxy on 127.0.0.1
(tests/fault_proxy.py); the Pulumi CLI is the fake one (tests/fake_pulumi.py)."""

from __future__ import annotations

import pytest

from ops.automation.exit_codes import ExitCode
from ops.promotion.lock import LOCK_SUFFIX
from ops.promotion.promote import promote
from tests.fake_pulumi import Scenario, summary
from tests.fault_proxy import fault_proxy
from tests.promotion_fixtures import (
    BETTER,
    MODEL,
    PROMOTE,
    alias_at,
    audit_tags,
    copy_project,
    drivers,
    live,
    lock_of,
    ops_run,
    serving,
    use_registered_model,
)


@pytest.fixture
def project(tmp_path, monkeypatch, mlflow_server):
    """The stack files and catalogue, the registry the real server."""
    return copy_project(tmp_path, monkeypatch, mlflow_server)


def test_registry_lost_at_the_alias_move_leaves_a_pending_record_that_recover_undoes(
    project, make_model, registry_client, mlflow_server, monkeypatch
):
    model = make_model([{"aliases": ["champion"]}, BETTER])
    use_registered_model(project, model.name)
    v1, v2 = model.versions
    scenario = Scenario(stack_outputs=serving(v2, {"prod": {"models": {MODEL: {"version": v1}}}}))
    command, driver_for = drivers(project, scenario)
    with fault_proxy(mlflow_server.uri) as proxy:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", proxy.uri)
        proxy.break_at("POST", "/registered-models/alias")  # the alias moves, the answer and the registry are lost

        outcome = promote(project, PROMOTE, driver_for, live(v2))

        assert outcome.code == ExitCode.FAILED
        checked, error, pending_note = outcome.messages  # the canary check first, then what failed and what stays
        assert checked.startswith("Canary ") and error.startswith("error: MLflow registry")
        assert "the alias may have moved" in pending_note
        assert f"{PROMOTE.command()} --recover" in pending_note
        assert alias_at(registry_client, model.name) == v2  # moved on the server, as in a real outage ...
        pending = lock_of(registry_client, model.name)  # ... and the pending record says so
        assert pending is not None and pending["mlops.intent.version"] == v2 and pending["mlops.intent.previous"] == v1
        assert audit_tags(registry_client, model.name, v2) == {} and ops_run(command, "prod") == []

        proxy.heal()
        recovered = promote(project, PROMOTE, driver_for, live(v2), recover_run=True)

    assert recovered.code == ExitCode.OK
    assert recovered.messages[0] == f"alias 'champion' moved back to v{v1}"
    assert "so it was undone; re-run the command" in recovered.messages[1]
    assert alias_at(registry_client, model.name) == v1 and lock_of(registry_client, model.name) is None
    assert audit_tags(registry_client, model.name, v2) == {} and ops_run(command, "prod") == []


def test_registry_lost_at_the_audit_step_after_up_is_completed_by_recover(
    project, make_model, registry_client, mlflow_server, monkeypatch
):
    model = make_model([{"aliases": ["champion"]}, BETTER])
    use_registered_model(project, model.name)
    v1, v2 = model.versions
    scenario = Scenario(
        stack_outputs=serving(v2, {"prod": {"models": {MODEL: {"version": v1}}}}),
        events={"preview": [summary({"same": 3})], "up": [summary({"update": 2})]},
    )
    command, driver_for = drivers(project, scenario)
    with fault_proxy(mlflow_server.uri) as proxy:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", proxy.uri)
        proxy.break_at("POST", "/model-versions/set-tag", forward=False)

        outcome = promote(project, PROMOTE, driver_for, live(v2))

        assert outcome.code == ExitCode.FAILED
        assert outcome.messages[-2].startswith(f"error: v{v2} was deployed, but the registry failed:")
        assert "--recover" in outcome.messages[-1]
        assert alias_at(registry_client, model.name) == v2 and ops_run(command, "prod") == ["preview", "up"]
        assert lock_of(registry_client, model.name) is not None and audit_tags(registry_client, model.name, v2) == {}

        proxy.heal()
        scenario.stack_outputs["prod"] = {"models": {MODEL: {"version": v2}}}  # what the finished up left
        recovered = promote(project, PROMOTE, driver_for, live(v2), recover_run=True)

    assert recovered.code == ExitCode.OK and "it had deployed; its audit record is written" in recovered.messages[-1]
    tags = audit_tags(registry_client, model.name, v2)
    assert tags["promoted.prod.from"] == "staging" and tags["promoted.prod.by"] == "oncall-bot"
    assert scenario.tags["prod"]["mlops.promoted.churn-prediction"].startswith(f"v{v2} from staging")
    assert alias_at(registry_client, model.name) == v2 and lock_of(registry_client, model.name) is None


def test_recover_with_nothing_pending_says_so(project, make_model):
    model = make_model([{"aliases": ["champion"]}])
    use_registered_model(project, model.name)
    _, driver_for = drivers(project, Scenario())
    outcome = promote(project, PROMOTE, driver_for, live(""), recover_run=True)
    assert outcome.messages == [f"nothing to recover: no promotion or rollback holds '{model.name}{LOCK_SUFFIX}'"]
