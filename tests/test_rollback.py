"""rollback against the real MLflow test server; the Pulumi CLI is the fake one (tests/fake_pulumi.py), so
the stack outputs, state, config and tags are what a test sets. Re-runs, a failed run finished by the
same rollback, and the pin its job commits surviving a fresh checkout."""

from __future__ import annotations

import os

import pytest

import ops.cli.ci as ci
from ops.__main__ import main
from ops.automation.driver import Driver
from ops.automation.exit_codes import ExitCode
from ops.promotion.audit import PINS_KEY
from ops.promotion.pins_file import read_pins
from ops.promotion.rollback import RollbackRequest, rollback
from ops.resource_types import DYNAMIC_TYPE
from registry.client import MlflowRegistryClient
from tests.fake_pulumi import FakePulumiCommand, Scenario, summary
from tests.promotion_fixtures import (
    CANARY,
    MODEL,
    PROJECT_DIR,
    copy_project,
    drivers,
    ops_run,
    rolled_back_scenario,
    tag_sets,
    use_registered_model,
)


@pytest.fixture
def project(tmp_path, monkeypatch, mlflow_server):
    """The stack files and catalogue, with churn-prediction pointing at a registered model of this test."""
    return copy_project(tmp_path, monkeypatch, mlflow_server)


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
    scenario = Scenario(stack_outputs={"staging": {"models": {MODEL: {"version": "7"}}}})
    command = FakePulumiCommand(scenario)
    monkeypatch.setattr(ci, "driver_factory", lambda options: Driver(options, command, write=lambda _: None))
    code = main(["rollback", "--model", MODEL, "--stack", "staging", "--project", str(project)])
    assert code == ExitCode.REFUSED
    assert "--to-version N" in capsys.readouterr().err
    assert (project / "Pulumi.staging.yaml").read_bytes() == (PROJECT_DIR / "Pulumi.staging.yaml").read_bytes()


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
