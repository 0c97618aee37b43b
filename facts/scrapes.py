"""How each exporter the alerts read is scraped, and so which labels its series really carry.

prometheus-operator turns a PodMonitor or ServiceMonitor into a scrape job whose relabelling attaches
target labels to every series: `namespace`, `pod`, `container`, `endpoint` (the port name), `job` and
`instance`, plus `service` for a ServiceMonitor [OPERATOR]. When a scraped series carries a label of
the same name, `honor_labels` decides [PROMETHEUS]: true keeps the series' own value; false (the
default) keeps the target's and renames the series' label to `exported_<label>`. So Flagger's
`flagger_canary_status{namespace=...}`, scraped by its chart's PodMonitor with `honorLabels: false`,
arrives as `exported_namespace` (the canary's) next to `namespace="flagger-system"` (Flagger's pod).

Sources:
  [PROMETHEUS] prometheus docs/configuration/configuration.md, scrape_config `honor_labels`: "If
               honor_labels is set to false, label conflicts are resolved by renaming conflicting labels
               in the scraped data to exported_<original-label>".
  [OPERATOR]   prometheus-operator Documentation/api-reference (PodMonitor, ServiceMonitor) and
               pkg/prometheus/promcfg.go: namespace, pod, container, endpoint, job (PodMonitor:
               <namespace>/<name>; ServiceMonitor: the Service's name), instance; service for ServiceMonitors.
  [FLAGGER]    fluxcd/flagger v1.44.0 charts/flagger/values.yaml `podMonitor.honorLabels: false`,
               templates/podmonitor.yaml; pkg/metrics/recorder.go label names.
  [KPS]        kube-prometheus-stack 88.5.3 values.yaml `kube-state-metrics.prometheus.monitor.http.honorLabels: true`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MonitorKind = Literal["PodMonitor", "ServiceMonitor"]

TARGET_LABELS: dict[str, tuple[str, ...]] = {
    "PodMonitor": ("namespace", "pod", "container", "endpoint", "job", "instance"),
    "ServiceMonitor": ("namespace", "service", "pod", "container", "endpoint", "job", "instance"),
}
EXPORTED_PREFIX = "exported_"


@dataclass(frozen=True)
class Scrape:
    """One monitor's scrape of an exporter."""

    kind: MonitorKind
    honor_labels: bool

    @property
    def target_labels(self) -> tuple[str, ...]:
        return TARGET_LABELS[self.kind]

    def label(self, series_label: str) -> str:
        """The name a label the exporter sets has after this scrape."""
        if series_label in self.target_labels and not self.honor_labels:
            return EXPORTED_PREFIX + series_label
        return series_label

    def labels(self, series_labels: tuple[str, ...]) -> frozenset[str]:
        """Every label a scraped series of the exporter carries."""
        return frozenset(self.label(label) for label in series_labels) | frozenset(self.target_labels)


# Each model's PodMonitor (manifests/delivery/monitoring.py): the runtimes' labels never collide with target labels.
MODEL_POD_MONITOR = Scrape("PodMonitor", honor_labels=False)
# Flagger's chart PodMonitor, at the chart's default, which manifests/addons/flagger.py states explicitly [FLAGGER].
FLAGGER_POD_MONITOR = Scrape("PodMonitor", honor_labels=False)
# kube-state-metrics' ServiceMonitor from kube-prometheus-stack: its `namespace` is the object's [KPS].
KUBE_STATE_METRICS_SERVICE_MONITOR = Scrape("ServiceMonitor", honor_labels=True)
# The Pushgateway's ServiceMonitor (manifests/pushgateway.py): pushed `job` and `model` must survive.
PUSHGATEWAY_SERVICE_MONITOR = Scrape("ServiceMonitor", honor_labels=True)
