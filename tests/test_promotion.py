"""promote and rollback against the real MLflow test server; the Pulumi CLI is the fake one
(tests/fake_pulumi.py), so the stack outputs, state, config and tags are what a test sets."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from ops.__main__ import main
from ops.automation.driver import Driver, RunOptions
from ops.automation.exit_codes import ExitCode
from ops.engine import DYNAMIC_TYPE
from ops.promotion.audit import PINS_KEY
from ops.promotion.canary_health import CanaryHealth
from ops.promotion.context import PromotionRefused
from ops.promotion.promote import PromoteRequest, promote
from ops.promotion.rollback import RollbackRequest, rollback
from registry.client import MlflowRegistryClient
from tests.fake_pulumi import FakePulumiCommand, Scenario, summary

PROJECT_DIR = Path(__file__).resolve().parent.parent
MODEL = "churn-prediction"
# What program/stack.py exports for the model's Canary (tests/test_promotion_canary.py checks it against a real run).
CANARY = {
    "apiVersion": "flagger.app/v1beta1",
    "kind": "Canary",
    "namespace": f"ml-{MODEL}",
    "name": MODEL,
    "primaryDeployment": f"{MODEL}-primary",
}


def live(version: str, phase: str = "Succeeded"):
    """The source cluster's answer, standing in for it (tests/test_promotion_canary.py reads a fake API server)."""
    return lambda ref: CanaryHealth(phase, version)


@pytest.fixture
def project(tmp_path, monkeypatch, mlflow_server):
    """The stack files and catalogue, with churn-prediction pointing at a registered model of this test."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.uri)
    monkeypatch.setenv("GITHUB_ACTOR", "oncall-bot")
    root = tmp_path / "project"
    root.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"):
        shutil.copy(PROJECT_DIR / name, root / name)
    shutil.copytree(PROJECT_DIR / "models", root / "models")
    return root


def use_registered_model(project: Path, name: str) -> None:
    path = project / "models" / f"{MODEL}.yaml"
    path.write_text(path.read_text().replace(f"registeredModel: {MODEL}", f"registeredModel: {name}"))


def drivers(project: Path, scenario: Scenario):
    command = FakePulumiCommand(scenario)
    return command, lambda stack: Driver(
        RunOptions(stack, project), command, write=lambda _: None, sleep=lambda _: None
    )


def ops_run(command: FakePulumiCommand, stack: str) -> list[str]:
    return [c[0] for c in command.calls if c[0] in ("preview", "up") and c[c.index("--stack") + 1] == stack]


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


def test_rollback_pins_the_previous_version_deploys_and_records_the_reason(project, make_model):
    model = make_model([{}, {}])
    use_registered_model(project, model.name)
    v1, v2 = model.versions
    deployment = {
        "resources": [{"type": DYNAMIC_TYPE, "outputs": {"model": MODEL, "version": v2, "previous_version": v1}}]
    }
    scenario = Scenario(
        stack_outputs={"staging": {"models": {MODEL: {"version": v2}}}},
        deployment=deployment,
        events={"up": [summary({"update": 2})]},
    )
    command, driver_for = drivers(project, scenario)

    outcome = rollback(project, RollbackRequest(MODEL, "staging", "p99 latency doubled"), driver_for)

    assert outcome.code == ExitCode.OK
    assert json.loads(scenario.config["staging"][PINS_KEY]) == {MODEL: int(v1)}
    assert ops_run(command, "staging") == ["up"]
    client = MlflowRegistryClient(os.environ["MLFLOW_TRACKING_URI"])
    tags = {t["key"]: t["value"] for t in client.get_version(model.name, v1).get("tags", [])}
    client.close()
    assert tags["rolledback.staging.reason"] == "p99 latency doubled"
    assert tags["rolledback.staging.from"] == f"v{v2}"
    assert scenario.tags["staging"]["mlops.rolledback.churn-prediction"].endswith(": p99 latency doubled")


def test_rollback_without_a_recorded_previous_version_is_refused_with_the_fix(project, monkeypatch, capsys):
    import ops.ci_commands as ci

    scenario = Scenario(stack_outputs={"staging": {"models": {MODEL: {"version": "7"}}}})
    command = FakePulumiCommand(scenario)
    monkeypatch.setattr(ci, "driver_factory", lambda options: Driver(options, command, write=lambda _: None))
    code = main(["rollback", "--model", MODEL, "--stack", "staging", "--project", str(project)])
    assert code == ExitCode.REFUSED
    assert "--to-version N" in capsys.readouterr().err
    assert PINS_KEY not in scenario.config.get("staging", {})
