"""promote and rollback against the real MLflow test server; the Pulumi CLI is the fake one
(tests/fake_pulumi.py), so the stack outputs, state, config and tags are what a test sets."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ops.__main__ import main
from ops.automation.driver import Driver
from ops.automation.exit_codes import ExitCode
from ops.automation.run_options import RunOptions
from ops.promotion.audit import PINS_KEY
from ops.promotion.canary_health import CanaryHealth
from ops.promotion.context import PromotionRefused
from ops.promotion.pins_file import read_pins, write_pins
from ops.promotion.promote import PromoteRequest, promote
from ops.promotion.rollback import RollbackRequest, rollback
from ops.resource_types import DYNAMIC_TYPE
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
        stack_outputs={"staging": {"models": {MODEL: {"version": v2, "canary": CANARY}}}},
        deployment=deployment,
        events={"up": [summary({"update": 2})]},
    )
    command, driver_for = drivers(project, scenario)

    outcome = rollback(project, RollbackRequest(MODEL, "staging", "p99 latency doubled"), driver_for)

    assert outcome.code == ExitCode.OK
    assert read_pins(project, "staging") == {MODEL: int(v1)}  # in the stack file the operate job commits
    assert PINS_KEY not in scenario.config.get("staging", {})  # not in a CLI config left on the runner
    assert ops_run(command, "staging") == ["up"]
    client = MlflowRegistryClient(os.environ["MLFLOW_TRACKING_URI"])
    tags = {t["key"]: t["value"] for t in client.get_version(model.name, v1).get("tags", [])}
    client.close()
    assert tags["rolledback.staging.reason"] == "p99 latency doubled"
    assert tags["rolledback.staging.from"] == f"v{v2}"
    assert scenario.tags["staging"]["mlops.rolledback.churn-prediction"].endswith(": p99 latency doubled")


def test_rollback_without_a_recorded_previous_version_is_refused_with_the_fix(project, monkeypatch, capsys):
    import ops.cli.ci as ci

    scenario = Scenario(stack_outputs={"staging": {"models": {MODEL: {"version": "7"}}}})
    command = FakePulumiCommand(scenario)
    monkeypatch.setattr(ci, "driver_factory", lambda options: Driver(options, command, write=lambda _: None))
    code = main(["rollback", "--model", MODEL, "--stack", "staging", "--project", str(project)])
    assert code == ExitCode.REFUSED
    assert "--to-version N" in capsys.readouterr().err
    assert (project / "Pulumi.staging.yaml").read_bytes() == (PROJECT_DIR / "Pulumi.staging.yaml").read_bytes()


def tag_sets(command: FakePulumiCommand) -> list[list[str]]:
    return [c for c in command.calls if c[:3] == ["stack", "tag", "set"]]


def rolled_back_scenario(model) -> Scenario:
    v1, v2 = model.versions
    deployment = {
        "resources": [{"type": DYNAMIC_TYPE, "outputs": {"model": MODEL, "version": v2, "previous_version": v1}}]
    }
    return Scenario(
        stack_outputs={"staging": {"models": {MODEL: {"version": v2, "canary": CANARY}}}},
        deployment=deployment,
        events={"up": [summary({"update": 2})]},
    )


def test_a_second_rollback_with_the_same_inputs_changes_nothing_and_says_so(project, make_model):
    model = make_model([{}, {}])
    use_registered_model(project, model.name)
    v1, v2 = model.versions
    scenario = rolled_back_scenario(model)
    command, driver_for = drivers(project, scenario)
    request = RollbackRequest(MODEL, "staging", "p99 latency doubled")
    assert rollback(project, request, driver_for).code == ExitCode.OK
    committed = (project / "Pulumi.staging.yaml").read_bytes()
    # What the real `up` leaves behind: v1 serves, and the state's previous version is now v2.
    scenario.stack_outputs["staging"]["models"][MODEL]["version"] = v1
    scenario.deployment["resources"][0]["outputs"].update(version=v1, previous_version=v2)
    calls_before, tags_before = len(ops_run(command, "staging")), len(tag_sets(command))

    again = rollback(project, request, driver_for)

    assert again.code == ExitCode.OK
    assert any("nothing changed" in m for m in again.messages), again.messages
    assert len(ops_run(command, "staging")) == calls_before  # no second `up`
    assert len(tag_sets(command)) == tags_before  # no second audit entry
    assert (project / "Pulumi.staging.yaml").read_bytes() == committed
    assert read_pins(project, "staging") == {MODEL: int(v1)}  # not "rolled back" to v2


def test_a_failed_rollback_keeps_its_pin_and_the_same_rollback_finishes_it(project, make_model):
    model = make_model([{}, {}])
    use_registered_model(project, model.name)
    v1, v2 = model.versions
    scenario = rolled_back_scenario(model)
    scenario.fail = {"up": "kubernetes:apps/v1:Deployment churn-prediction: timed out"}
    command, driver_for = drivers(project, scenario)
    request = RollbackRequest(MODEL, "staging", "p99 latency doubled")

    failed = rollback(project, request, driver_for)

    assert failed.code == ExitCode.FAILED
    assert read_pins(project, "staging") == {MODEL: int(v1)}  # committed by the job: the intent survives
    # The failed update got as far as the ModelVersion: the state's previous version is now v2.
    scenario.deployment["resources"][0]["outputs"].update(version=v1, previous_version=v2)
    scenario.fail = {}

    finished = rollback(project, request, driver_for)

    assert finished.code == ExitCode.OK
    assert ops_run(command, "staging") == ["up", "up"]
    assert read_pins(project, "staging") == {MODEL: int(v1)}
    assert f"rolled back {MODEL} in staging from v{v2} to v{v1}" in finished.messages


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


def test_a_rollback_committed_by_its_job_survives_a_fresh_checkout_and_its_re_run_there_is_a_no_op(
    project, make_model, tmp_path, capsys
):
    """The operate job's steps, for real: rollback on the runner's checkout, `ops commit-pins` to the default
    branch of a (bare, local) remote; the next job's fresh checkout serves the pin and a re-run does nothing."""
    import subprocess

    def git(*args, cwd):
        return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout

    model = make_model([{}, {}])
    use_registered_model(project, model.name)
    v1, v2 = model.versions
    origin = tmp_path / "origin.git"
    git("init", "-q", "--bare", "-b", "main", str(origin), cwd=tmp_path)
    git("init", "-q", "-b", "main", cwd=project)
    git("add", ".", cwd=project)
    git("-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "base", cwd=project)
    git("remote", "add", "origin", str(origin), cwd=project)
    git("push", "-q", "origin", "main", cwd=project)
    scenario = rolled_back_scenario(model)
    command, driver_for = drivers(project, scenario)

    assert rollback(project, RollbackRequest(MODEL, "staging", "p99"), driver_for).code == ExitCode.OK
    assert (
        main(["commit-pins", "--stack", "staging", "--model", MODEL, "--branch", "main", "--project", str(project)])
        == 0
    )

    fresh = tmp_path / "next-job"
    git("clone", "-q", str(origin), str(fresh), cwd=tmp_path)
    assert read_pins(fresh, "staging") == {MODEL: int(v1)}  # the next deploy serves the rolled-back version
    scenario.stack_outputs["staging"]["models"][MODEL]["version"] = v1
    scenario.deployment["resources"][0]["outputs"].update(version=v1, previous_version=v2)
    _, fresh_drivers = drivers(fresh, scenario)
    again = rollback(fresh, RollbackRequest(MODEL, "staging", "p99"), fresh_drivers)
    assert again.code == ExitCode.OK and "nothing changed" in again.messages[0]
    head = git("rev-parse", "main", cwd=origin)
    capsys.readouterr()
    assert (
        main(["commit-pins", "--stack", "staging", "--model", MODEL, "--branch", "main", "--project", str(fresh)]) == 0
    )
    assert "nothing to commit" in capsys.readouterr().out
    assert git("rev-parse", "main", cwd=origin) == head
