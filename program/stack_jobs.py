"""The stack's own jobs in the monitoring namespace: the Pushgateway the quality monitors and the delivery
metrics push to, and the delivery-metrics CronJob."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.addons.platform import PlatformAddons
from components.cluster.cluster_access import ClusterAccess
from components.serving.delivery_metrics import DeliveryMetrics, DeliveryMetricsArgs
from components.serving.pushgateway import Pushgateway, PushgatewayArgs
from plan.delivery_metrics import delivery_metrics_plan
from plan.platform import PlatformRefs
from plan.quality_monitor import quality_monitor_plan
from plan.serving import ServingPlan
from settings.stack import StackSettings


def stack_jobs(
    settings: StackSettings,
    refs: PlatformRefs,
    plans: Mapping[str, ServingPlan],
    cluster: ClusterAccess,
    addons: PlatformAddons,
    registry_credentials: Mapping[str, pulumi.Input[str]] | None,
) -> None:
    # Drift and accuracy: each model whose runtime logs samples gets a monitor CronJob (registered by
    # its ModelServing), pushing to one Pushgateway in the monitoring namespace that Prometheus scrapes.
    # The delivery metrics (deploy frequency, lead time, failure rate, restore, freshness) go there too.
    # The monitoring namespace and the ServiceMonitor CRD come with the add-ons.
    opts = pulumi.ResourceOptions(providers=[cluster.kube_provider], depends_on=addons.ready)
    metrics_plan = delivery_metrics_plan(settings, refs)
    if metrics_plan is not None or any(quality_monitor_plan(settings, plan) for plan in plans.values()):
        Pushgateway(
            "pushgateway",
            PushgatewayArgs(namespace=refs.monitoring_namespace, monitor_selector_labels=refs.monitor_selector_labels),
            opts=opts,
        )
    if metrics_plan is not None:
        DeliveryMetrics(
            "delivery-metrics",
            DeliveryMetricsArgs(plan=metrics_plan, registry_credentials=registry_credentials),
            opts=opts,
        )
