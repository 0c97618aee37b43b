"""Pushgateway: where the quality monitors push drift and accuracy for Prometheus to scrape."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.kube import kube_object
from facts import pushgateway as facts
from manifests import pushgateway as build


@dataclass(frozen=True)
class PushgatewayArgs:
    namespace: str  # the monitoring namespace (created with the Prometheus add-on)
    # Labels the stack's Prometheus selects ServiceMonitors by; None: register no ServiceMonitor.
    monitor_selector_labels: dict[str, str] | None = field(default_factory=dict)


class Pushgateway(pulumi.ComponentResource):
    """Deployment, Service and (optionally) ServiceMonitor of one Prometheus Pushgateway."""

    url: pulumi.Output[str]

    def __init__(self, name: str, args: PushgatewayArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:serving:Pushgateway", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        roles = {"Deployment": "deployment", "Service": "service", "ServiceMonitor": "service-monitor"}
        for manifest in build.pushgateway_manifests(args.namespace, args.monitor_selector_labels):
            kube_object(f"{name}-{roles[manifest['kind']]}", manifest, child)
        self.url = pulumi.Output.from_input(facts.url(args.namespace))
        self.register_outputs({"url": self.url})
