"""The figures as a table, as JSON, and as Prometheus text for the Pushgateway (facts/delivery_metrics.py)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime

from facts import delivery_metrics as S
from ops.metrics.compute import Figures

COLUMNS = ("scope", "deploys/wk", "lead p50", "lead p90", "failed", "CFR", "restore p50", "served", "age")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def _row(f: Figures) -> tuple[str, ...]:
    cfr = "n/a" if f.change_failure_rate is None else f"{f.change_failure_rate:.0%}"
    served = (
        "not deployed"
        if f.served_version is None
        else f"v{f.served_version}"
        if f.scope != "stack"
        else f.served_version
    )
    restore = duration(f.restore_median) + (f" (+{f.open_failures} open)" if f.open_failures else "")
    return (
        f.scope,
        f"{f.deploys_per_week:.2f}",
        duration(f.lead_time_median),
        duration(f.lead_time_p90),
        f"{f.failed}/{f.deployments}",
        cfr,
        restore,
        served,
        duration(f.served_age),
    )


def table(models: list[Figures], stack: Figures, since_text: str) -> str:
    rows = [COLUMNS, *(_row(f) for f in models), _row(stack)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = [f"delivery metrics of environment {stack.environment}, last {since_text}:"]
    for index, row in enumerate(rows):
        if index == len(rows) - 1:
            lines.append("  ".join("-" * w for w in widths))
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    if not models:
        lines.append("(no model of the catalogue is served in this environment)")
    for f in models:
        lines.extend(f"note: {f.scope}: {n}" for n in f.notes)
    return "\n".join(lines)


def as_json(models: list[Figures], stack: Figures, since: datetime, now: datetime) -> str:
    return json.dumps(
        {
            "since": since.isoformat(),
            "now": now.isoformat(),
            "models": [asdict(f) for f in models],
            "stack": asdict(stack),
        },
        indent=2,
    )


def _labels(values: dict[str, str]) -> str:
    escaped = {k: v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") for k, v in values.items()}
    return "{" + ",".join(f'{k}="{v}"' for k, v in escaped.items()) + "}"


def exposition(
    models: list[Figures],
    stack: Figures,
    created: dict[str, float],
    max_ages: dict[str, int],
    now: datetime,
) -> str:
    """Prometheus text format of every figure that has a value (a figure without one is absent, not 0).
    `created`: model -> creation time (unix s) of its served version; `max_ages`: model -> maxAge seconds."""
    env = stack.environment
    samples: dict[str, list[str]] = {s.name: [] for s in S.DELIVERY_SERIES}

    def add(series, value: float | None, **labels: str) -> None:
        if value is not None:
            samples[series.name].append(f"{series.name}{_labels(labels)} {value:.6g}")

    for f in [*models, stack]:
        scope = {"model": f.scope} if f.scope != "stack" else {}
        add(S.DEPLOYS_PER_WEEK, f.deploys_per_week, **scope, environment=env)
        add(S.LEAD_TIME_MEDIAN, f.lead_time_median, **scope, environment=env)
        add(S.LEAD_TIME_P90, f.lead_time_p90, **scope, environment=env)
        add(S.CHANGE_FAILURE_RATE, f.change_failure_rate, **scope, environment=env)
        add(S.TIME_TO_RESTORE, f.restore_median, **scope, environment=env)
    for f in models:
        if f.served_version is not None and f.scope in created:
            add(S.SERVED_VERSION_CREATED, created[f.scope], model=f.scope, environment=env, version=f.served_version)
        if f.scope in max_ages:
            add(S.MAX_AGE, float(max_ages[f.scope]), model=f.scope, environment=env)
    add(S.COMPUTED_AT, now.timestamp(), environment=env)
    lines = []
    for series in S.DELIVERY_SERIES:
        lines += [f"# HELP {series.name} {series.help}", f"# TYPE {series.name} {series.type}", *samples[series.name]]
    return "\n".join(lines) + "\n"
