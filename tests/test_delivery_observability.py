"""What watches a model in delivery: the PodMonitor, the alert rules, the Grafana dashboards and the
alert provider whose webhook URL lives only in a Secret."""

from __future__ import annotations

import json
from dataclasses import replace

from facts import quality_metrics as Q
from manifests.delivery import alerting, canary, dashboard, monitoring
from tests.delivery_fixtures import WEBHOOK_URL, all_plans


def test_pod_monitor_selects_primary_and_canary_on_the_metrics_port():
    for plan in all_plans("prod").values():
        monitor = monitoring.pod_monitor_manifest(plan)
        selector = monitor["spec"]["selector"]["matchLabels"]
        assert "app.kubernetes.io/name" not in selector  # Flagger rewrites it on primary pods
        assert selector == {"mlops.platform/model": plan.name, "mlops.platform/environment": "prod"}
        (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
        assert endpoint["port"] == plan.serving.runtime.metrics_port_name
        assert plan.metrics.port == plan.serving.runtime.metrics_port and plan.metrics.path == endpoint["path"]
        for manifest in (monitor, monitoring.prometheus_rule_manifest(plan)):
            assert manifest["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_alerts_have_severity_summary_runbook_and_quality_only_where_exported():
    plans = all_plans("prod")
    churn = {r["alert"]: r for r in monitoring.alert_rules(plans["churn-prediction"])}
    fraud = {r["alert"]: r for r in monitoring.alert_rules(plans["fraud-detection"])}
    base = {"ModelLatencyP95OverSla", "ModelErrorRateHigh", "ModelReplicasUnavailable", "ModelCanaryFailed"}
    triton = {r["alert"]: r for r in monitoring.alert_rules(plans["image-classifier"])}
    # churn-prediction exports drift (the monitor) but no accuracy: its entry names no labelsSource; its
    # freshness.maxAge adds the freshness alert, which no other entry sets (off by default).
    assert set(triton) == base
    # churn-prediction (sklearn on MLServer) exports confidence: it gets the confidence alert.
    assert set(churn) == base | {"ModelDriftHigh", "ModelConfidenceLow", "ModelVersionStale"}
    assert churn["ModelConfidenceLow"]["expr"].endswith(
        f"< {plans['churn-prediction'].serving.model.quality.min_confidence}"
    )
    churn_plan = plans["churn-prediction"]
    labelled = replace(
        churn_plan, serving=replace(churn_plan.serving, quality_series=frozenset({Q.ACCURACY, Q.DRIFT_SCORE}))
    )
    with_accuracy = {r["alert"]: r for r in monitoring.alert_rules(labelled)}
    assert set(with_accuracy) == base | {
        "ModelAccuracyLow",
        "ModelAccuracyDropped",
        "ModelDriftHigh",
        "ModelVersionStale",
    }
    assert "ModelConfidenceLow" not in with_accuracy  # its quality_series here lists no confidence
    quality = plans["churn-prediction"].serving.model.quality
    assert churn["ModelDriftHigh"]["expr"].endswith(f"> {quality.rollback_drift}")
    assert with_accuracy["ModelAccuracyLow"]["expr"].endswith(f"< {quality.min_accuracy}")
    # Pushed series carry the Pushgateway's namespace: selected by the push job and model, not the namespace.
    assert 'job="quality-monitor",model="churn-prediction"' in churn["ModelDriftHigh"]["expr"]
    assert "namespace" not in churn["ModelDriftHigh"]["expr"]
    for rule in [*churn.values(), *fraud.values(), *with_accuracy.values()]:
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"] and rule["annotations"]["runbook_url"].startswith("https://")
    assert fraud["ModelCanaryFailed"]["expr"].endswith("== 2")


def test_dashboards_are_json_with_the_expected_panels():
    plans = all_plans("prod")
    common = {"Requests per second", "Error ratio", "Latency (ms)", "Replicas available", "Canary weight (%)"}
    expected = {
        "fraud-detection": common,
        "image-classifier": common | {"GPU utilisation", "Queue (pending requests)"},
        "support-assistant": common | {"Tokens per second", "Queue (waiting requests)", "KV cache usage"},
    }
    for name, titles in expected.items():
        config_map = dashboard.dashboard_config_map(plans[name])
        assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
        board = json.loads(config_map["data"][f"{name}.json"])
        found = {p["title"] for p in board["panels"]}
        assert titles <= found, titles - found
        latency = next(p for p in board["panels"] if p["title"] == "Latency (ms)")
        assert [t["legendFormat"] for t in latency["targets"]] == ["p50", "p95", "p99"]


def test_alert_webhook_url_only_in_a_secret():
    plan = all_plans("prod")["fraud-detection"]
    provider = alerting.alert_provider_manifest(plan)
    assert "address" not in provider["spec"]
    secret = alerting.alert_secret_manifest(plan, WEBHOOK_URL)
    assert provider["spec"]["secretRef"]["name"] == secret["metadata"]["name"]
    assert secret["stringData"] == {"address": WEBHOOK_URL}
    alerts = canary.canary_manifest(plan)["spec"]["analysis"]["alerts"]
    assert alerts[0]["providerRef"]["name"] == provider["metadata"]["name"]
    assert (
        "alerts" not in canary.canary_manifest(all_plans("prod", alerts=False)["fraud-detection"])["spec"]["analysis"]
    )


def test_quality_panels_only_where_exported():
    plans = all_plans("prod")
    titles = {
        name: {p["title"] for p in dashboard.dashboard(plans[name])["panels"]}
        for name in ("churn-prediction", "image-classifier")
    }
    assert {"Mean prediction confidence", "Input drift score"} <= titles["churn-prediction"]
    assert not {"Mean prediction confidence", "Input drift score"} & titles["image-classifier"]
