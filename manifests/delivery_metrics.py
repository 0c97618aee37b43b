"""PromQL over the delivery-metric series (facts/delivery_metrics.py), the freshness alert of a model,
and the stack's delivery dashboard (a ConfigMap the Grafana sidecar loads).

The series are pushed to the Pushgateway by `python -m ops metrics --push` and scraped with
honorLabels, so they keep the pushed `job`, `model` and `environment`: they are selected by those,
never by a namespace. Stack-wide figures carry no `model` label (model="").
"""

from __future__ import annotations

import json

from facts import delivery_metrics as S

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def selector(environment: str, model: str | None = None) -> str:
    """model None: every model's series (not the stack's); "": the stack's."""
    model_matcher = 'model!=""' if model is None else f'model="{model}"'
    return f'{{job="{S.JOB}",environment="{environment}",{model_matcher}}}'


def served_age_seconds(environment: str, model: str | None = None) -> str:
    """Age of the served version(s) now: time() minus the pushed creation time, so it grows between pushes."""
    return f"time() - max by (model, version) ({S.SERVED_VERSION_CREATED.name}{selector(environment, model)})"


def stale_version(model: str, environment: str, max_age_seconds: int) -> str:
    """True while the version served is older than max_age_seconds (the freshness alert's expression)."""
    return f"{served_age_seconds(environment, model)} > {max_age_seconds}"


def panels(environment: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(title, unit, [(legend, query)]) of every panel: per model, then the stack."""
    per_model, stack = selector(environment), selector(environment, "")
    return [
        (
            "Deploys per week",
            "short",
            [("{{model}}", f"{S.DEPLOYS_PER_WEEK.name}{per_model}"), ("stack", f"{S.DEPLOYS_PER_WEEK.name}{stack}")],
        ),
        (
            "Lead time, version created to live",
            "s",
            [
                ("{{model}} p50", f"{S.LEAD_TIME_MEDIAN.name}{per_model}"),
                ("{{model}} p90", f"{S.LEAD_TIME_P90.name}{per_model}"),
                ("stack p50", f"{S.LEAD_TIME_MEDIAN.name}{stack}"),
                ("stack p90", f"{S.LEAD_TIME_P90.name}{stack}"),
            ],
        ),
        (
            "Change failure rate",
            "percentunit",
            [
                ("{{model}}", f"{S.CHANGE_FAILURE_RATE.name}{per_model}"),
                ("stack", f"{S.CHANGE_FAILURE_RATE.name}{stack}"),
            ],
        ),
        (
            "Time to restore (median)",
            "s",
            [("{{model}}", f"{S.TIME_TO_RESTORE.name}{per_model}"), ("stack", f"{S.TIME_TO_RESTORE.name}{stack}")],
        ),
        (
            "Age of the served version",
            "s",
            [
                ("{{model}} v{{version}}", served_age_seconds(environment)),
                ("{{model}} maxAge", f"{S.MAX_AGE.name}{per_model}"),
            ],
        ),
        (
            "Figures computed (age)",
            "s",
            [("last push", f'time() - {S.COMPUTED_AT.name}{{job="{S.JOB}",environment="{environment}"}}')],
        ),
    ]


def dashboard(environment: str) -> dict:
    grafana_panels = [
        {
            "id": index + 1,
            "type": "timeseries",
            "title": title,
            "datasource": DATASOURCE,
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "gridPos": {"x": (index % 2) * 12, "y": (index // 2) * 8, "w": 12, "h": 8},
            "targets": [
                {"refId": chr(ord("A") + i), "expr": query, "legendFormat": legend, "datasource": DATASOURCE}
                for i, (legend, query) in enumerate(targets)
            ],
        }
        for index, (title, unit, targets) in enumerate(panels(environment))
    ]
    return {
        "uid": f"delivery-{environment}"[:40],
        "title": f"Delivery metrics ({environment})",
        "tags": ["mlops-platform", "delivery", environment],
        "schemaVersion": 39,
        "time": {"from": "now-30d", "to": "now"},
        "refresh": "5m",
        "templating": {
            "list": [{"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"}]
        },
        "panels": grafana_panels,
    }


def dashboard_config_map(environment: str, namespace: str, dashboard_label: tuple[str, str]) -> dict:
    key, value = dashboard_label
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "delivery-metrics-dashboard",
            "namespace": namespace,
            "labels": {
                "app.kubernetes.io/part-of": "mlops-platform",
                "app.kubernetes.io/managed-by": "pulumi",
                key: value,
            },
        },
        "data": {"delivery-metrics.json": json.dumps(dashboard(environment), indent=1, sort_keys=True)},
    }
