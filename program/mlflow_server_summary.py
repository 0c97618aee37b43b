"""The `mlflowServer` stack output."""

from __future__ import annotations

from typing import Any

from facts.cloud_sql_prices import PRICES_AS_OF, monthly_compute_usd
from plan.mlflow_server import MlflowServerPlan
from settings.stack import StackSettings


def mlflow_server_summary(settings: StackSettings, plan: MlflowServerPlan | None, server: Any) -> dict | None:
    """The `mlflowServer` output: where pods reach it and, on GKE, what its database costs (the preview shows
    it beside the GPU ceiling). None: the stack uses someone else's server."""
    if plan is None or server is None:
        return None
    summary: dict[str, Any] = {"uri": server.uri, "store": plan.store}
    if plan.store == "cloud-sql":
        database = settings.mlflow_server.database
        summary["database"] = {
            "tier": database.tier,
            "availability": database.availability,
            "monthlyComputeUsd": monthly_compute_usd(database.tier, database.availability),
            "pricesAsOf": PRICES_AS_OF,
        }
    return summary
