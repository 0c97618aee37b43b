"""promote and rollback when the input is wrong or a dependency misbehaves: one clear message, nothing
half-applied. The registry is the real MLflow test server, faults are injected by a proxy on 127.0.0.1
(tests/fault_proxy.py); the Pulumi CLI is the fake one (tests/fake_pulumi.py)."""

from __future__ import annotations

import os
import queue
import threading

import pytest

from ops.__main__ import main
from ops.automation.driver import Driver
from ops.automation.exit_codes import ExitCode
from ops.automation.run_options import RunOptions
from ops.promotion.audit import PINS_KEY
from ops.promotion.context import PromotionRefused
from ops.promotion.lock import LOCK_SUFFIX, LockHeld
from ops.promotion.promote import promote
from ops.promotion.rollback import RollbackRequest, rollback
from ops.resource_types import DYNAMIC_TYPE
from registry.client import MlflowRegistryClient
from tests.fake_pulumi import FakePulumiCommand, Scenario, summary
from tests.mlflow_server import force_version_status
from tests.promotion_fixtures import (
    BETTER,
    MODEL,
    PROMOTE,
    alias_at,
    audit_tags,
    cli,
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


# -- bad input: refused before anything is touched ------------------------------------------------------


def test_an_unknown_model_is_refused_before_any_cli_or_registry_call(project, monkeypatch, capsys):
    command = cli(Scenario(), monkeypatch)
    code = main(["promote", "--model", "no-such-model", "--from", "staging", "--to", "prod", "--project", str(project)])
    err = capsys.readouterr().err
    assert code == ExitCode.BAD_INPUT
    assert "no-such-model: no such model in the catalogue" in err and "use one of: churn-prediction" in err
    assert command.calls == []


def test_an_unknown_environment_is_refused_naming_the_stacks_there_are(project, monkeypatch, capsys):
    command = cli(Scenario(), monkeypatch)
    code = main(["promote", "--model", MODEL, "--from", "staging", "--to", "qa", "--project", str(project)])
    err = capsys.readouterr().err
    assert code == ExitCode.BAD_INPUT
    assert "Pulumi.qa.yaml: stack 'qa' has no config file" in err and "use one of the stacks" in err
    assert command.calls == []


def test_a_version_missing_from_the_registry_is_refused_and_nothing_moves(project, make_model, registry_client):
    model = make_model([{"aliases": ["champion"]}])
    use_registered_model(project, model.name)
    command, driver_for = drivers(project, Scenario(stack_outputs=serving("99")))
    with pytest.raises(PromotionRefused, match=f"'{model.name}' has no version 99 .* name a version that exists"):
        promote(project, PROMOTE, driver_for, live("99"))
    assert alias_at(registry_client, model.name) == model.versions[0]
    assert lock_of(registry_client, model.name) is None and ops_run(command, "prod") == []


def test_a_version_that_is_not_ready_is_refused(project, make_model, registry_client, mlflow_server):
    model = make_model([{"aliases": ["champion"]}, BETTER])
    use_registered_model(project, model.name)
    force_version_status(mlflow_server, model.name, model.versions[1], "PENDING_REGISTRATION")
    command, driver_for = drivers(project, Scenario(stack_outputs=serving(model.versions[1])))
    with pytest.raises(PromotionRefused, match="is PENDING_REGISTRATION, not READY .*wait for its registration"):
        promote(project, PROMOTE, driver_for, live(model.versions[1]))
    assert alias_at(registry_client, model.name) == model.versions[0] and ops_run(command, "prod") == []


def test_a_candidate_the_target_gates_refuse_moves_nothing(project, make_model, registry_client):
    model = make_model([{"aliases": ["champion"]}, {"metrics": {"accuracy": 0.86, "f1_weighted": 0.86}}])
    use_registered_model(project, model.name)
    v1, v2 = model.versions
    scenario = Scenario(stack_outputs=serving(v2, {"prod": {"models": {MODEL: {"version": v1}}}}))
    command, driver_for = drivers(project, scenario)
    with pytest.raises(PromotionRefused) as refused:
        promote(project, PROMOTE, driver_for, live(v2))
    assert str(refused.value) == (
        f"the 'prod' gates refuse {MODEL} v{v2} (accuracy=0.8600, f1_weighted=0.8600) against the serving "
        f"v{v1} (accuracy=0.9000, f1_weighted=0.9000): challenger v{v2} (accuracy=0.8600, f1_weighted=0.8600) "
        f"vs champion v{v1} (accuracy=0.9000, f1_weighted=0.9000): does not beat it by 0.01 on any of accuracy, "
        "f1_weighted (fix: promote a version that passes them; the gates are in the model's catalogue file)"
    )
    assert alias_at(registry_client, model.name) == v1 and lock_of(registry_client, model.name) is None
    assert ops_run(command, "prod") == [] and PINS_KEY not in scenario.config.get("prod", {})


# -- two promotions at once -----------------------------------------------------------------------------


class SlowUp(FakePulumiCommand):
    """An `up` that takes until the test says the other run is done: the two runs really overlap."""

    def __init__(self, scenario: Scenario, other_done: threading.Event):
        super().__init__(scenario)
        self.other_done = other_done

    def _operation(self, op, args):
        if op == "up":
            self.other_done.wait(timeout=60)
        return super()._operation(op, args)


def test_two_promotions_of_one_model_at_once_one_wins_the_other_is_told_why(project, make_model, registry_client):
    model = make_model([{"aliases": ["champion"]}, BETTER])
    use_registered_model(project, model.name)
    v1, v2 = model.versions
    scenario = Scenario(
        stack_outputs=serving(v2, {"prod": {"models": {MODEL: {"version": v1}}}}),
        events={"preview": [summary({"same": 3})], "up": [summary({"update": 2})]},
    )
    first_done = threading.Event()
    command = SlowUp(scenario, first_done)
    results: queue.Queue = queue.Queue()

    def run() -> None:
        try:
            driver_for = lambda s: Driver(RunOptions(s, project), command, write=lambda _: None)  # noqa: E731
            results.put(promote(project, PROMOTE, driver_for, live(v2)))
        except PromotionRefused as refused:
            results.put(refused)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    first = results.get(timeout=120)  # the loser answers while the winner's `up` still runs
    first_done.set()
    for thread in threads:
        thread.join(timeout=120)
    second = results.get(timeout=5)

    assert isinstance(first, LockHeld)
    assert f"another promote of {MODEL} to v{v2} in stack 'prod' (started " in str(first)
    assert "by oncall-bot) holds the promotion lock" in str(first) and "--recover" in str(first)
    assert second.code == ExitCode.OK
    assert ops_run(command, "prod").count("up") == 1  # only the winner deployed
    assert alias_at(registry_client, model.name) == v2 and lock_of(registry_client, model.name) is None
    assert "promoted.prod.from" in audit_tags(registry_client, model.name, v2)


# -- rollback ------------------------------------------------------------------------------------------


def test_rollback_refuses_when_the_earlier_version_is_no_longer_good(project, make_model, mlflow_server, monkeypatch):
    model = make_model([{}, {}])
    use_registered_model(project, model.name)
    v1, v2 = model.versions
    force_version_status(mlflow_server, model.name, v1, "FAILED_REGISTRATION")
    deployment = {
        "resources": [{"type": DYNAMIC_TYPE, "outputs": {"model": MODEL, "version": v2, "previous_version": v1}}]
    }
    scenario = Scenario(stack_outputs=serving(v2), deployment=deployment)
    command = cli(scenario, monkeypatch)
    code = main(["rollback", "--model", MODEL, "--stack", "staging", "--project", str(project)])
    assert code == ExitCode.REFUSED
    assert ops_run(command, "staging") == [] and PINS_KEY not in scenario.config.get("staging", {})
    client = MlflowRegistryClient(os.environ["MLFLOW_TRACKING_URI"])
    try:
        assert lock_of(client, model.name) is None
    finally:
        client.close()


def test_rollback_refusal_message_names_the_version_and_the_fix(project, make_model, mlflow_server):
    model = make_model([{}, {}])
    use_registered_model(project, model.name)
    v1, v2 = model.versions
    force_version_status(mlflow_server, model.name, v1, "FAILED_REGISTRATION")
    _, driver_for = drivers(project, Scenario(stack_outputs=serving(v2)))
    with pytest.raises(PromotionRefused) as refused:
        rollback(project, RollbackRequest(MODEL, "staging", to_version=v1), driver_for)
    assert str(refused.value) == (
        f"no earlier good version of {MODEL} to return to: '{model.name}' v{v1} is FAILED_REGISTRATION, not READY "
        "(fix: wait for its registration to finish, or choose another version)"
    )


def test_recover_on_another_stack_than_the_pending_run_refuses_and_names_the_right_command(
    project, make_model, registry_client
):
    from ops.promotion.lock import Intent, PromotionLock

    model = make_model([{"aliases": ["champion"]}])
    use_registered_model(project, model.name)
    pending = Intent("promote", MODEL, "prod", "prod", "2", "staging", "someone", "2026-12-02T16:00:00+00:00")
    PromotionLock(registry_client, model.name).acquire(pending, "unused")
    _, driver_for = drivers(project, Scenario(stack_outputs=serving("1")))
    with pytest.raises(PromotionRefused) as refused:
        rollback(project, RollbackRequest(MODEL, "staging"), driver_for, recover_run=True)
    assert str(refused.value) == (
        f"the pending record '{model.name}{LOCK_SUFFIX}' is the promote of {MODEL} to v2 in stack 'prod' (started "
        "2026-12-02T16:00:00+00:00 by someone), not a run on stack 'staging' (fix: `python -m ops promote --model "
        f"{MODEL} --from staging --to prod --recover`)"
    )
    assert lock_of(registry_client, model.name) is not None
