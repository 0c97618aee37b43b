"""What the platform add-ons give every model's delivery objects: one value object, decided once.

The add-ons (Prometheus, Grafana, Flagger, the load tester, KEDA, the traffic layer) are installed by
`components.addons`; the per-model objects that use them (Canary, MetricTemplates, PodMonitors,
PrometheusRules, dashboards, ScaledObjects, the quality monitor) only ever read a `PlatformRefs`.
So the two sides agree on names through this one type and never through repeated strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from settings.stack import StackSettings

FlaggerProvider = Literal["gatewayapi:v1", "kubernetes"]


@dataclass(frozen=True)
class GatewayRef:
    """The shared Gateway that model HTTPRoutes attach to (Flagger writes the routes' weights)."""

    name: str
    namespace: str
    # Each model is served at f"{model}.{hostname_suffix}"; the load tester sends that Host header.
    hostname_suffix: str
    # The listener routes attach to (TrafficSettings.listener): what a URL through the Gateway must use.
    protocol: Literal["HTTP", "HTTPS"] = "HTTP"
    port: int = 80

    @property
    def scheme(self) -> str:
        return self.protocol.lower()

    def url(self, host: str, path: str) -> str:
        """A URL through the Gateway's listener; the port only where it is not the scheme's default."""
        default = {"http": 80, "https": 443}[self.scheme]
        authority = host if self.port == default else f"{host}:{self.port}"
        return f"{self.scheme}://{authority}{path}"


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
    # Whether models scale with KEDA is each ServingPlan's `scaling.keda` (plan/serving.py), decided once.


# Helm release names: they fix the in-cluster names other objects address. kube-prometheus-stack's
# fullname is the release name itself when it contains the chart name (its _helpers.tpl, truncated to 26
# characters), so the Prometheus Service is "<release>-prometheus" on port 9090 (facts-delivery.md §1).
PROMETHEUS_RELEASE = "kube-prometheus-stack"
PROMETHEUS_PORT = 9090
GRAFANA_SERVICE = f"{PROMETHEUS_RELEASE}-grafana"  # the Grafana subchart's Service, port 80
FLAGGER_RELEASE = "flagger"
LOADTESTER_RELEASE = "flagger-loadtester"  # contains the chart name, so the Service keeps this name; port 80
KEDA_RELEASE = "keda"


def prometheus_url(monitoring_namespace: str) -> str:
    return f"http://{PROMETHEUS_RELEASE}-prometheus.{monitoring_namespace}:{PROMETHEUS_PORT}"


def platform_refs(settings: StackSettings) -> PlatformRefs:
    """What per-model objects must use to be seen by the add-ons this stack installs."""
    addons = settings.addons
    monitoring = addons.monitoring.enabled
    traffic = addons.traffic
    gateway = None
    if traffic.layer == "gke-gateway":
        _, protocol, port = traffic.listener()
        gateway = GatewayRef(
            name=traffic.gateway_name,
            namespace=traffic.namespace,
            hostname_suffix=traffic.hostname_suffix,
            protocol="HTTPS" if protocol == "HTTPS" else "HTTP",
            port=port,
        )
    return PlatformRefs(
        monitoring_namespace=settings.monitoring_namespace,
        prometheus_url=prometheus_url(settings.monitoring_namespace) if monitoring else "",
        # The chart's default selectors (*SelectorNilUsesHelmValues: true) pick up only monitors and rules
        # labelled with its release; kept, so nothing outside the platform's objects is scraped by accident.
        monitor_selector_labels={"release": PROMETHEUS_RELEASE} if monitoring else {},
        flagger_provider="gatewayapi:v1" if gateway else "kubernetes",
        gateway=gateway,
        loadtester_url=f"http://{LOADTESTER_RELEASE}.{traffic.namespace}/" if addons.flagger.enabled else "",
    )


def platform_summary(settings: StackSettings, refs: PlatformRefs) -> dict[str, object]:
    """The stack output `platform`: where to reach what the add-ons run, and which chart versions."""
    addons = settings.addons
    monitoring_ns = settings.monitoring_namespace
    pins = {
        "kube-prometheus-stack": addons.monitoring.version if addons.monitoring.enabled else None,
        "flagger": addons.flagger.version if addons.flagger.enabled else None,
        "loadtester": addons.flagger.loadtester_version if addons.flagger.enabled else None,
        "keda": addons.keda.version if addons.keda.enabled else None,
    }
    summary: dict[str, object] = {
        "charts": {chart: version for chart, version in pins.items() if version},
        "flaggerProvider": refs.flagger_provider,
        "gateway": f"{refs.gateway.namespace}/{refs.gateway.name}" if refs.gateway else None,
        "loadtesterUrl": refs.loadtester_url or None,
        "keda": addons.keda.enabled,
    }
    if addons.monitoring.enabled:
        summary["prometheusUrl"] = refs.prometheus_url
        summary["prometheus"] = (
            f"kubectl -n {monitoring_ns} port-forward svc/{PROMETHEUS_RELEASE}-prometheus {PROMETHEUS_PORT}"
        )
        summary["grafana"] = f"kubectl -n {monitoring_ns} port-forward svc/{GRAFANA_SERVICE} 3000:80"
    return summary
