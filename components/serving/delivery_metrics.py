"""DeliveryMetrics: the stack's hourly delivery-metrics job and its Grafana dashboard (monitoring namespace)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from components.kube import kube_object
from components.serving.registry_credentials import registry_credentials_secret
from manifests import delivery_metrics as dashboards
from manifests import delivery_metrics_job as build
from plan.delivery_metrics import DeliveryMetricsPlan


@dataclass(frozen=True)
class DeliveryMetricsArgs:
    plan: DeliveryMetricsPlan
    # The registry credentials Secret's values, one per key plan.registry_credentials names (secret Outputs).
    registry_credentials: Mapping[str, pulumi.Input[str]] | None = None


class DeliveryMetrics(pulumi.ComponentResource):
    """ServiceAccount, registry credentials Secret, CronJob and dashboard ConfigMap."""

    cronjob_name: pulumi.Output[str]

    def __init__(self, name: str, args: DeliveryMetricsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:serving:DeliveryMetrics", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        plan = args.plan
        kube_object(f"{name}-service-account", build.service_account_manifest(plan), child)
        if args.registry_credentials is not None:
            registry_credentials_secret(name, build.credentials_secret(plan, args.registry_credentials), child)
        kube_object(f"{name}-cronjob", build.cronjob_manifest(plan), child)
        kube_object(
            f"{name}-dashboard",
            dashboards.dashboard_config_map(plan.environment, plan.namespace, plan.dashboard_label),
            child,
        )
        self.cronjob_name = pulumi.Output.from_input(plan.name)
        self.register_outputs({"cronjob_name": self.cronjob_name})
