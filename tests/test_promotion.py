"""promote against the real MLflow test server; the Pulumi CLI is the fake one (tests/fake_pulumi.py), so
the stack outputs, state, config and tags are what a test sets. rollback is in tests/test_rollback.py."""

from __future__ import annotations

import pytest

from ops.automation.exit_codes import ExitCode
from ops.promotion.context import PromotionRefused
from ops.promotion.pins_file import read_pins, write_pins
from ops.promotion.promote import PromoteRequest, promote
from tests.fake_pulumi import Scenario, summary
from tests.promotion_fixtures import (
    CANARY,
    MODEL,
    PROJECT_DIR,
    copy_project,
    drivers,
    live,
    ops_run,
    tag_sets,
    use_registered_model,
)


@pytest.fixture
def project(tmp_path, monkeypatch, mlflow_server):
    """The stack files and catalogue, with churn-prediction pointing at a registered model of this test."""
    return copy_project(tmp_path, monkeypatch, mlflow_server)


def test_promote_moves_the_alias_deploys_and_leaves_an_audit_trail(project, make_model, registry_client):
    model = make_model([{"aliases": ["champion"]}, {}])
    use_registered_model(project, model.name)
    v1, v2 = model.versions
    scenario = Scenario(
        stack_outputs={"staging": {"models": {MODEL: {"version": v2, "canary": CANARY}}}},
        events={"preview": [summary({"same": 3})], "up": [summary({"update": 2})]},
    )
    command, driver_for = drivers(project, scenario)

    outcome = promote(project, PromoteRequest(MODEL, "staging", "prod"), driver_for, live(v2))

    assert outcome.code == ExitCode.OK
    assert registry_client.get_version_by_alias(model.name, "champion")["version"] == v2
    tags = {t["key"]: t["value"] for t in registry_client.get_version(model.name, v2).get("tags", [])}
    assert tags["promoted.prod.from"] == "staging" and tags["promoted.prod.by"] == "oncall-bot"
    assert "promoted.prod.at" in tags
    assert scenario.tags["prod"]["mlops.promoted.churn-prediction"].startswith(f"v{v2} from staging at ")
    assert ops_run(command, "prod") == ["preview", "up"]  # prod previews first (the protected-infra guard)


def test_a_failed_up_moves_the_alias_back_and_records_nothing(project, make_model, registry_client):
    model = make_model([{"aliases": ["champion"]}, {}])
    use_registered_model(project, model.name)
    v1, v2 = model.versions
    scenario = Scenario(
        stack_outputs={"staging": {"models": {MODEL: {"version": v2, "canary": CANARY}}}},
        events={"preview": [summary({"same": 3})]},
        fail={"up": f"{MODEL} (prod): gates refused candidate v{v2}"},
    )
    _, driver_for = drivers(project, scenario)

    outcome = promote(project, PromoteRequest(MODEL, "staging", "prod"), driver_for, live(v2))

    assert outcome.code == ExitCode.FAILED
    assert f"alias 'champion' moved back to v{v1}" in outcome.messages
    assert registry_client.get_version_by_alias(model.name, "champion")["version"] == v1
    tags = {t["key"] for t in registry_client.get_version(model.name, v2).get("tags", [])}
    assert not any(k.startswith("promoted.") for k in tags)
    assert "prod" not in scenario.tags


def test_promote_refuses_a_version_whose_canary_failed(project, make_model, registry_client):
    model = make_model([{"aliases": ["champion"]}, {}])
    use_registered_model(project, model.name)
    entry = {"version": model.versions[1], "canary": CANARY}
    command, driver_for = drivers(project, Scenario(stack_outputs={"staging": {"models": {MODEL: entry}}}))
    with pytest.raises(PromotionRefused, match="is 'Failed'; promote only a version whose canary succeeded"):
        promote(project, PromoteRequest(MODEL, "staging", "prod"), driver_for, live(model.versions[1], "Failed"))
    assert registry_client.get_version_by_alias(model.name, "champion")["version"] == model.versions[0]
    assert ops_run(command, "prod") == []


def test_a_second_promotion_with_the_same_inputs_changes_nothing_and_says_so(project, make_model, registry_client):
    model = make_model(
        [{"aliases": ["champion"]}, {"metrics": {"accuracy": 0.95, "f1_weighted": 0.95}}]
    )  # beats v1: prod gates judge it
    use_registered_model(project, model.name)
    v1, v2 = model.versions
    scenario = Scenario(
        stack_outputs={
            "staging": {"models": {MODEL: {"version": v2, "canary": CANARY}}},
            "prod": {"models": {MODEL: {"version": v1}}},
        },
        events={"preview": [summary({"same": 3})], "up": [summary({"update": 2})]},
    )
    command, driver_for = drivers(project, scenario)
    request = PromoteRequest(MODEL, "staging", "prod")
    assert promote(project, request, driver_for, live(v2)).code == ExitCode.OK
    scenario.stack_outputs["prod"]["models"][MODEL]["version"] = v2  # what the real `up` deployed
    calls_before, tags_before = len(ops_run(command, "prod")), len(tag_sets(command))

    again = promote(project, request, driver_for, live(v2))

    assert again.code == ExitCode.OK
    assert again.messages == [f"prod already serves {MODEL} v{v2} through alias 'champion': nothing changed"]
    assert len(ops_run(command, "prod")) == calls_before and len(tag_sets(command)) == tags_before
    assert registry_client.get_version_by_alias(model.name, "champion")["version"] == v2
    assert (project / "Pulumi.prod.yaml").read_bytes() == (PROJECT_DIR / "Pulumi.prod.yaml").read_bytes()


def test_promotion_clears_a_rollback_pin_in_the_stack_file_and_a_failed_one_restores_it(project, make_model):
    model = make_model(
        [{"aliases": ["champion"]}, {"metrics": {"accuracy": 0.95, "f1_weighted": 0.95}}]
    )  # beats v1: prod gates judge it
    use_registered_model(project, model.name)
    v1, v2 = model.versions
    write_pins(project, "prod", {MODEL: int(v1)})  # an earlier rollback in prod
    pinned = (project / "Pulumi.prod.yaml").read_bytes()
    scenario = Scenario(
        stack_outputs={
            "staging": {"models": {MODEL: {"version": v2, "canary": CANARY}}},
            "prod": {"models": {MODEL: {"version": v1}}},
        },
        events={"preview": [summary({"same": 3})]},
        fail={"up": "prod: gates refused"},
    )
    _, driver_for = drivers(project, scenario)
    request = PromoteRequest(MODEL, "staging", "prod")

    assert promote(project, request, driver_for, live(v2)).code == ExitCode.FAILED
    assert (project / "Pulumi.prod.yaml").read_bytes() == pinned

    scenario.fail = {}
    assert promote(project, request, driver_for, live(v2)).code == ExitCode.OK
    assert read_pins(project, "prod") == {}
    assert (project / "Pulumi.prod.yaml").read_bytes() == (PROJECT_DIR / "Pulumi.prod.yaml").read_bytes()
