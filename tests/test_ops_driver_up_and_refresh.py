"""The driver's up and refresh against the fake Pulumi CLI (tests/fake_pulumi.py): the prod guard's
preview before up (GPU pool and cluster replacements refused unless allowed by name), outputs events
that are not drift, and refresh --expect-no-changes naming what moved."""

from __future__ import annotations

import pytest

from ops.automation.exit_codes import ExitCode
from ops.report.drift import drift_notes
from tests.driver_fixtures import DEPLOYMENT_TYPE, driver, operations
from tests.fake_pulumi import Scenario, refresh_event, summary
from tests.report_scenarios import DYNAMIC, gpu_pool_replaced, prod_preview_events


def test_up_in_prod_refuses_a_gpu_pool_replacement_and_changes_nothing():
    d, command, _ = driver(Scenario(events={"preview": prod_preview_events(), "up": [summary({"update": 3})]}))
    outcome = d.up()
    assert outcome.code == ExitCode.REFUSED
    assert "GPU node pool prod-gpu-l4 would be replaced" in outcome.messages[0]
    assert "--allow-replace prod-gpu-l4" in outcome.messages[0]
    assert operations(command) == ["preview"]


def test_up_in_prod_proceeds_when_the_replacement_is_allowed_by_name():
    d, command, _ = driver(
        Scenario(events={"preview": prod_preview_events(), "up": [summary({"update": 3, "replace": 1})]}),
        allow_replace=("prod-gpu-l4",),
    )
    assert d.up().code == ExitCode.OK
    assert operations(command) == ["preview", "up"]


def test_up_outside_prod_does_not_preview_first():
    d, command, _ = driver(Scenario(events={"up": [gpu_pool_replaced("dev"), summary({"replace": 1})]}), stack="dev")
    assert d.up().code == ExitCode.OK
    assert operations(command) == ["up"]


@pytest.mark.parametrize("op", ["delete", "replace"])
def test_cluster_deletion_or_replacement_is_refused_in_prod(op):
    from tests.fake_pulumi import pre_event

    event = pre_event(op, "gcp:container/cluster:Cluster", "mlops-prod", "prod", old=({"name": "mlops-prod"},))
    outcome = driver(Scenario(events={"preview": [event, summary({op: 1})]}))[0].up()
    assert outcome.code == ExitCode.REFUSED
    assert "GKE cluster mlops-prod would be" in outcome.messages[0]


def test_outputs_events_of_an_up_are_not_drift():
    from tests.fake_pulumi import refresh_event

    moved = refresh_event(DEPLOYMENT_TYPE, "churn-prediction-server", {"v": "6"}, {"v": "7"}, "dev", "update")
    outcome = driver(Scenario(events={"up": [moved, summary({"update": 1})]}), stack="dev")[0].up()
    assert outcome.code == ExitCode.OK and outcome.log.drift == []


@pytest.mark.parametrize("op", ["refresh", "update"])  # the step's op, or the result op the engine derives
def test_refresh_expect_no_changes_exits_3_and_names_the_moved_alias(op):
    before = {
        "model": "churn-prediction",
        "registered_model": "churn-prediction",
        "version": "7",
        "aliases": ["champion", "prod-live"],
    }
    after = {**before, "aliases": ["prod-live"]}
    events = [
        refresh_event(DYNAMIC, "churn-prediction-version", before, after, "prod", op),
        refresh_event("kubernetes:core/v1:ConfigMap", "dashboards", {"data": {"a": "1"}}, None, "prod"),
        refresh_event("kubernetes:core/v1:Namespace", "ml-churn", {"x": 1}, {"x": 1}, "prod"),
    ]
    d, command, _ = driver(Scenario(events={"refresh": events}))
    outcome = d.refresh(expect_no_changes=True)
    assert outcome.code == ExitCode.CHANGES
    assert drift_notes(outcome.log) == [
        "model churn-prediction: alias(es) champion moved away from deployed v7",
        "kubernetes:core/v1:ConfigMap dashboards: deleted outside Pulumi",
    ]
    refresh = next(c for c in command.calls if c[0] == "refresh")
    assert "--preview-only" in refresh  # drift is reported, never written into the state
    assert driver(Scenario(events={"refresh": events[2:]}))[0].refresh(expect_no_changes=True).code == ExitCode.OK
