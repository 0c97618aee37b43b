"""The delivery metrics' Kubernetes side: the hourly job, the stack dashboard, the freshness alert.

Every object is strictly valid; every query parses and names only series that exist: the delivery
series of facts/delivery_metrics.py (what the job pushes) and Flagger's outcome counters (what the job
reads back from Prometheus).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from facts import delivery_metrics as S
from facts.runtime_metrics import FLAGGER
from guardrails.evaluate import check_resource
from guardrails.rule import GuardContext
from manifests import delivery_metrics as dashboards
from manifests import delivery_metrics_job as job
from manifests.delivery import monitoring
from ops.metrics import reader
from plan.delivery_metrics import delivery_metrics_plan
from plan.platform import platform_refs
from tests.conftest import STACKS
from tests.delivery_fixtures import DELIVERY, plans_for, stack_settings
from tests.guard_objects import k8s
from tests.promql import parse, unknown_names
from tests.schemas import validate


def metrics_plan(stack: str):
    settings = stack_settings(stack)
    return settings, delivery_metrics_plan(settings, platform_refs(settings))


@pytest.mark.parametrize("stack", STACKS)
def test_the_job_and_dashboard_are_strictly_valid_and_the_job_passes_the_guardrails(stack):
    settings, plan = metrics_plan(stack)
    assert plan is not None and plan.environment == settings.environment
    objects = [
        job.service_account_manifest(plan),
        job.cronjob_manifest(plan),
        dashboards.dashboard_config_map(plan.environment, plan.namespace, plan.dashboard_label),
    ]
    for manifest in objects:
        validate(manifest, settings.kubernetes_version)
    cron = objects[1]
    args = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args == ["--stack", stack, "--prometheus", plan.prometheus_url, "--push", plan.pushgateway_url]
    flagged = {v.rule for v in check_resource(k8s(cron), GuardContext(settings.environment))}
    assert not flagged & {"batch-on-spot", "container-security", "container-resources"}


@pytest.mark.parametrize("stack", STACKS)
def test_every_dashboard_query_parses_and_names_only_pushed_series(stack):
    _, plan = metrics_plan(stack)
    board = dashboards.dashboard(plan.environment)
    queries = [t["expr"] for panel in board["panels"] for t in panel["targets"]]
    assert len(queries) >= 10
    for query in queries:
        parse(query)
        assert unknown_names(query, [DELIVERY]) == [], query
    named = {name for query in queries for name in (s.name for s in S.DELIVERY_SERIES) if name in query}
    assert named == {s.name for s in S.DELIVERY_SERIES}  # every pushed series is shown somewhere


def test_the_freshness_alert_is_off_by_default_and_follows_max_age():
    plans = plans_for("prod")
    rules = {name: {r["alert"]: r for r in monitoring.alert_rules(plan)} for name, plan in plans.items()}
    assert "ModelVersionStale" in rules["churn-prediction"]  # freshness.maxAge: 90d
    assert all("ModelVersionStale" not in r for name, r in rules.items() if name != "churn-prediction")
    stale = rules["churn-prediction"]["ModelVersionStale"]
    assert stale["expr"].endswith(f"> {90 * 86400}")
    assert 'model="churn-prediction"' in stale["expr"] and 'environment="prod"' in stale["expr"]
    parse(stale["expr"])
    assert unknown_names(stale["expr"], [DELIVERY]) == []


def test_the_flagger_outcome_query_parses_and_names_flaggers_own_counters(monkeypatch):
    sent = []

    class Answer:
        def raise_for_status(self):
            return None

        def json(self):
            return {"data": {"result": [{"values": [[1000, "0"], [1060, "2"]]}]}}

    def get(url, params, timeout):
        sent.append(params["query"])
        return Answer()

    import requests

    monkeypatch.setattr(requests, "get", get)
    now = datetime.fromtimestamp(2000, UTC)
    outcomes, notes = reader.canary_outcomes("http://prometheus:9090", "ml-m", "m", now - timedelta(days=1), now)
    assert notes == () and len(sent) == 2
    for query in sent:
        parse(query)
        assert unknown_names(query, [FLAGGER]) == [], query
    assert [o.succeeded for o in outcomes] == [False, False, True, True]


def test_an_unreachable_prometheus_is_a_note_not_a_crash():
    now = datetime.now(UTC)
    outcomes, notes = reader.canary_outcomes("http://127.0.0.1:9", "ml-m", "m", now - timedelta(days=1), now)
    assert outcomes == () and "not read from http://127.0.0.1:9" in notes[0]


def test_the_dashboard_json_is_loadable():
    _, plan = metrics_plan("dev")
    data = dashboards.dashboard_config_map(plan.environment, plan.namespace, plan.dashboard_label)["data"]
    assert json.loads(data["delivery-metrics.json"])["title"] == "Delivery metrics (dev)"
