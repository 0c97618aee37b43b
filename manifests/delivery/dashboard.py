"""A Grafana dashboard per model, as a ConfigMap the Grafana sidecar loads (label from PlatformRefs).

Panels: requests, errors, latency percentiles, replicas (primary and canary), canary weight, then what
matters for the runtime (queue and tokens for vLLM, queue and GPU utilisation for Triton), and mean
confidence and drift where the model exports them. vLLM exports no GPU utilisation itself: GKE's
managed DCGM sends it to Cloud Monitoring, not to this Prometheus.
"""

from __future__ import annotations

import json

from facts import quality_metrics as Q
from facts.runtime_metrics import FLAGGER
from manifests.delivery import quality_queries as QQ
from manifests.delivery.queries import Scope, queries_for
from plan.delivery import DeliveryPlan

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def panels(plan: DeliveryPlan) -> list[tuple[str, list[tuple[str, str]]]]:
    """(title, [(legend, query)]) of every panel, in order."""
    name, namespace = plan.name, plan.namespace
    queries = queries_for(plan.serving.runtime.name, name)
    primary, canary = Scope.primary(namespace, name), Scope.canary(namespace, name)
    both = Scope.model(namespace, name)
    deployment = f'namespace="{namespace}",deployment=~"{name}(-primary)?"'
    result = [
        (
            "Requests per second",
            [("primary", queries.request_rate(primary, "2m")), ("canary", queries.request_rate(canary, "2m"))],
        ),
        (
            "Error ratio",
            [("primary", queries.error_ratio(primary, "2m")), ("canary", queries.error_ratio(canary, "2m"))],
        ),
        (
            "Latency (ms)",
            [(f"p{int(q * 100)}", queries.latency_ms(q, both, "5m")) for q in (0.5, 0.95, 0.99)],
        ),
        (
            "Replicas available",
            [("{{deployment}}", f"sum by (deployment) (kube_deployment_status_replicas_available{{{deployment}}})")],
        ),
        (
            "Canary weight (%)",
            [
                (
                    "canary",
                    f'max(flagger_canary_weight{{{FLAGGER.scrape.label("namespace")}="{namespace}",workload="{name}"}})',
                )
            ],
        ),
    ]
    result += [(title, [(title, query)]) for title, query in queries.extra_panels(both)]
    return result + quality_panels(plan, primary, canary)


def quality_panels(plan: DeliveryPlan, primary: Scope, canary: Scope) -> list[tuple[str, list[tuple[str, str]]]]:
    """Confidence and drift, only where the model exports them (plan.serving.quality_series)."""
    result = []
    if Q.PREDICTION_CONFIDENCE in plan.serving.quality_series:
        confidence = [
            (legend, QQ.mean_confidence(plan.name, scope, "5m"))
            for legend, scope in (("primary", primary), ("canary", canary))
        ]
        result.append(("Mean prediction confidence", confidence))
    if Q.DRIFT_SCORE in plan.serving.quality_series:
        result.append(("Input drift score", [("v{{version}}", QQ.drift_by_version(plan.name))]))
    return result


def dashboard(plan: DeliveryPlan) -> dict:
    grafana_panels = []
    for index, (title, targets) in enumerate(panels(plan)):
        grafana_panels.append(
            {
                "id": index + 1,
                "type": "timeseries",
                "title": title,
                "datasource": DATASOURCE,
                "gridPos": {"x": (index % 2) * 12, "y": (index // 2) * 8, "w": 12, "h": 8},
                "targets": [
                    {"refId": chr(ord("A") + i), "expr": query, "legendFormat": legend, "datasource": DATASOURCE}
                    for i, (legend, query) in enumerate(targets)
                ],
            }
        )
    return {
        "uid": f"model-{plan.serving.environment}-{plan.name}"[:40],
        "title": f"Model {plan.name} ({plan.serving.environment}, {plan.serving.runtime.name})",
        "tags": ["mlops-platform", plan.serving.runtime.name, plan.serving.environment],
        "schemaVersion": 39,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "30s",
        "templating": {
            "list": [{"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"}]
        },
        "panels": grafana_panels,
    }


def dashboard_config_map(plan: DeliveryPlan) -> dict:
    key, value = plan.platform.dashboard_label
    metadata = plan.serving.metadata(f"{plan.name}-dashboard")
    metadata["labels"] = {**metadata["labels"], key: value}
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata,
        "data": {f"{plan.name}.json": json.dumps(dashboard(plan), indent=1, sort_keys=True)},
    }
