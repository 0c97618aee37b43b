"""DeliveryMetrics: the stack's hourly delivery-metrics job and its Grafana dashboard (monitoring namespace)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.kube import kube_object
from manifests import delivery_metrics as dashboards
from manifests import delivery_metrics_job as build
from plan.delivery_metrics import DeliveryMetricsPlan


@dataclass(frozen=True)
class DeliveryMetricsArgs:
    plan: DeliveryMetricsPlan
    registry_token: pulumi.Input[str] | None = None  # secret Output; when set, the job authenticates


class DeliveryMetrics(pulumi.ComponentResource):
    """ServiceAccount, token Secret, CronJob and dashboard ConfigMap."""

    cronjob_name: pulumi.Output[str]

    def __init__(self, name: str, args: DeliveryMetricsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:serving:DeliveryMetrics", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        plan = args.plan
        kube_object(f"{name}-service-account", build.service_account_manifest(plan), child)
        if args.registry_token is not None and plan.token_secret:
            kube_object(f"{name}-registry-token", build.token_secret_manifest(plan, args.registry_token), child)
        kube_object(f"{name}-cronjob", build.cronjob_manifest(plan), child)
        kube_object(
            f"{name}-dashboard",
            dashboards.dashboard_config_map(plan.environment, plan.namespace, plan.dashboard_label),
            child,
        )
        self.cronjob_name = pulumi.Output.from_input(plan.name)
        self.register_outputs({"cronjob_name": self.cronjob_name})
