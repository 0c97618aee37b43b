"""What the platform add-ons give every model's delivery objects: one value object, decided once.

The add-ons (Prometheus, Grafana, Flagger, the load tester, KEDA, the traffic layer) are installed by
`components.addons`; the per-model objects that use them (Canary, MetricTemplates, PodMonitors,
PrometheusRules, dashboards, ScaledObjects, the quality monitor) only ever read a `PlatformRefs`.
So the two sides agree on names through this one type and never through repeated strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FlaggerProvider = Literal["gatewayapi:v1", "kubernetes"]


@dataclass(frozen=True)
class GatewayRef:
    """The shared Gateway that model HTTPRoutes attach to (Flagger writes the routes' weights)."""

    name: str
    namespace: str
    # Each model is served at f"{model}.{hostname_suffix}"; the load tester sends that Host header.
    hostname_suffix: str


@dataclass(frozen=True)
class PlatformRefs:
    monitoring_namespace: str
    # In-cluster URL Flagger, KEDA and the quality monitor query (kube-prometheus-stack's Service).
    prometheus_url: str
    # Labels a PodMonitor, ServiceMonitor or PrometheusRule must carry to be picked up by the stack's
    # Prometheus; empty when its selectors are opened to every object.
    monitor_selector_labels: dict[str, str] = field(default_factory=dict)
    # The label the Grafana dashboard sidecar watches on ConfigMaps (chart default grafana_dashboard: "1").
    dashboard_label: tuple[str, str] = ("grafana_dashboard", "1")
    flagger_provider: FlaggerProvider = "kubernetes"
    gateway: GatewayRef | None = None  # None: no weighted router (blue/green through Flagger's kubernetes provider)
    loadtester_url: str = ""  # e.g. http://flagger-loadtester.<ns>/ ; empty: no load tester installed
    keda: bool = False  # ScaledObjects can be used
