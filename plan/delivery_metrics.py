"""The stack's delivery-metrics job and dashboard, decided once (manifests/delivery_metrics_job.py).

An hourly CronJob in the monitoring namespace runs `python -m ops metrics --stack <stack> --push` in
the delivery-metrics image (delivery_metrics/Dockerfile: this repository's catalogue and stack files at the
image's commit), reading the registry at the pods' tracking URI and Flagger's outcomes from the stack's
Prometheus, and replaces the environment's group on the Pushgateway.
"""

from __future__ import annotations

from dataclasses import dataclass

from facts import pushgateway
from facts.built_images import DELIVERY_METRICS_IMAGE
from plan.platform import PlatformRefs
from plan.registry_credentials import PodCredentials, pod_credentials
from settings.stack import StackSettings

SCHEDULE = "17 * * * *"  # hourly, off the hour; figures move by the day, the freshness alert waits 1 h
NAME = "delivery-metrics"


@dataclass(frozen=True)
class DeliveryMetricsPlan:
    stack: str
    environment: str
    namespace: str  # the monitoring namespace
    image: str
    tracking_uri: str  # as seen from the pods
    prometheus_url: str
    pushgateway_url: str
    dashboard_label: tuple[str, str]
    # What the job signs in to the registry with (plan/registry_credentials.py); None: nothing.
    registry_credentials: PodCredentials | None = None
    schedule: str = SCHEDULE

    @property
    def name(self) -> str:
        return NAME


def delivery_metrics_plan(settings: StackSettings, refs: PlatformRefs) -> DeliveryMetricsPlan | None:
    """None without the monitoring add-on: nothing would scrape what the job pushes."""
    if not refs.prometheus_url:
        return None
    return DeliveryMetricsPlan(
        stack=settings.stack,
        environment=settings.environment,
        namespace=refs.monitoring_namespace,
        image=DELIVERY_METRICS_IMAGE.at(settings.image_registry, settings.quality.image_tag),
        tracking_uri=settings.pods_tracking_uri,
        prometheus_url=refs.prometheus_url,
        pushgateway_url=pushgateway.url(refs.monitoring_namespace),
        dashboard_label=refs.dashboard_label,
        registry_credentials=pod_credentials(settings),
    )
