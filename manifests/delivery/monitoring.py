"""Scraping and alerting for one model: a PodMonitor and a PrometheusRule.

The PodMonitor selects on labels primary and canary pods share (`mlops.platform/model` and
`.../environment`): Flagger rewrites the selector label `app.kubernetes.io/name` to `<name>-primary` on
primary pods, and a ServiceMonitor on Flagger's Services would miss the metrics port or scrape twice
(facts-delivery.md, "Things likely to trip", 6). It scrapes the runtime's metrics port by name.
"""

from __future__ import annotations

from facts import quality_metrics as Q
from facts.runtime_metrics import CANARY_FAILED, FLAGGER
from facts.scrapes import MODEL_POD_MONITOR
from manifests.delivery import quality_queries as QQ
from manifests.delivery.queries import Scope, queries_for
from manifests.delivery_metrics import stale_version
from manifests.serving import model_pods_selector
from plan.delivery import SCRAPE_SECONDS, DeliveryPlan

MONITORING_API = "monitoring.coreos.com/v1"
# Each alert's runbook is the docs/delivery.md heading named after it ("Alerts and their runbooks"); a test
# keeps every rendered link pointing at a heading that exists.
RUNBOOK_PAGE = "https://github.com/acme/mlops-platform/blob/main/docs/delivery.md"


def runbook_url(alert: str) -> str:
    return f"{RUNBOOK_PAGE}#{alert.lower()}"  # GitHub's anchor of a heading that is just the alert's name


def _metadata(plan: DeliveryPlan, name: str) -> dict:
    metadata = plan.serving.metadata(name)
    metadata["labels"] = {**metadata["labels"], **plan.platform.monitor_selector_labels}
    return metadata


def pod_monitor_manifest(plan: DeliveryPlan) -> dict:
    runtime = plan.serving.runtime
    return {
        "apiVersion": MONITORING_API,
        "kind": "PodMonitor",
        "metadata": _metadata(plan, plan.name),
        "spec": {
            "selector": {"matchLabels": model_pods_selector(plan.serving)},
            "podMetricsEndpoints": [
                {
                    "port": runtime.metrics_port_name,
                    "path": runtime.metrics_path,
                    "interval": f"{SCRAPE_SECONDS}s",
                    # Stated, not defaulted: the alerts' label matchers rely on it (facts/scrapes.py).
                    "honorLabels": MODEL_POD_MONITOR.honor_labels,
                }
            ],
        },
    }


def _rule(plan: DeliveryPlan, alert: str, expr: str, for_: str, severity: str, summary: str) -> dict:
    return {
        "alert": alert,
        "expr": expr,
        "for": for_,
        "labels": {"severity": severity, "model": plan.name, "environment": plan.serving.environment},
        "annotations": {"summary": summary, "runbook_url": runbook_url(alert)},
    }


def alert_rules(plan: DeliveryPlan) -> list[dict]:
    """The source documents' rollback triggers, thresholds from the catalogue's slo and quality."""
    name, namespace = plan.name, plan.namespace
    queries = queries_for(plan.serving.runtime.name, name)
    scope = Scope.model(namespace, name)
    slo, quality = plan.serving.model.slo, plan.serving.model.quality
    rules = [
        _rule(
            plan,
            "ModelLatencyP95OverSla",
            f"{queries.latency_ms(0.95, scope, '5m')} > {slo.latency_p95_ms}",
            "5m",
            "critical",
            f"{name}: p95 latency above the {slo.latency_p95_ms} ms SLA",
        ),
        _rule(
            plan,
            "ModelErrorRateHigh",
            f"{queries.error_ratio(scope, '5m')} > {slo.max_error_rate}",
            "5m",
            "critical",
            f"{name}: more than {slo.max_error_rate:.1%} of requests fail",
        ),
        _rule(
            plan,
            "ModelReplicasUnavailable",
            f'sum(kube_deployment_status_replicas_unavailable{{namespace="{namespace}",deployment=~"{name}(-primary)?"}}) > 0',
            "10m",
            "warning",
            f"{name}: replicas unavailable for 10 minutes",
        ),
        _rule(
            plan,
            "ModelCanaryFailed",
            # Flagger's pod is the scrape target: the canary's namespace is its series' exported_namespace.
            f'max(flagger_canary_status{{{FLAGGER.scrape.label("namespace")}="{namespace}",name="{name}"}})'
            f" == {CANARY_FAILED}",
            "1m",
            "critical",
            f"{name}: the last canary analysis failed and was rolled back",
        ),
    ]
    if Q.PREDICTION_CONFIDENCE in plan.serving.quality_series:
        # Not a rollback trigger of the source documents (the canary analysis gates confidence): a warning.
        rules.append(
            _rule(
                plan,
                "ModelConfidenceLow",
                f"{QQ.mean_confidence(name, scope, '15m')} < {quality.min_confidence}",
                "15m",
                "warning",
                f"{name}: mean prediction confidence below {quality.min_confidence}",
            )
        )
    # Pushed series carry the Pushgateway's namespace, not the model's: selected by job and model.
    if Q.ACCURACY in plan.serving.quality_series:
        accuracy = QQ.accuracy(name)
        rules.append(
            _rule(
                plan,
                "ModelAccuracyLow",
                f"{accuracy} < {quality.min_accuracy}",
                "15m",
                "critical",
                f"{name}: accuracy below {quality.min_accuracy}",
            )
        )
        rules.append(
            _rule(
                plan,
                "ModelAccuracyDropped",
                f"max_over_time({accuracy}[1d:10m]) - {accuracy} > {quality.max_accuracy_drop}",
                "15m",
                "critical",
                f"{name}: accuracy dropped more than {quality.max_accuracy_drop} within a day",
            )
        )
    if Q.DRIFT_SCORE in plan.serving.quality_series:
        rules.append(
            _rule(
                plan,
                "ModelDriftHigh",
                f"max({Q.DRIFT_SCORE.name}{QQ.pushed_selector(name)}) > {quality.rollback_drift}",
                "15m",
                "critical",
                f"{name}: input drift above {quality.rollback_drift}",
            )
        )
    freshness = plan.serving.model.freshness
    if freshness.max_age_seconds is not None:  # off unless the entry sets maxAge
        rules.append(
            _rule(
                plan,
                "ModelVersionStale",
                stale_version(name, plan.serving.environment, freshness.max_age_seconds),
                "1h",
                "warning",
                f"{name}: the served version was created more than {freshness.max_age} ago (freshness.maxAge)",
            )
        )
    return rules


def prometheus_rule_manifest(plan: DeliveryPlan) -> dict:
    return {
        "apiVersion": MONITORING_API,
        "kind": "PrometheusRule",
        "metadata": _metadata(plan, plan.name),
        "spec": {"groups": [{"name": f"{plan.name}.rollback-triggers", "rules": alert_rules(plan)}]},
    }
