"""Monitoring: kube-prometheus-stack (Prometheus, Alertmanager, Grafana, the operator and its CRDs)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.addons.helm import helm_chart
from components.addons.namespace import addon_namespace
from components.kube import kube_object
from facts import charts
from manifests.addons.kube_prometheus_stack import grafana_admin_secret_manifest, kube_prometheus_stack_values
from plan.platform import PROMETHEUS_RELEASE, PlatformRefs
from settings.addons import MonitoringSettings

GRAFANA_ADMIN_SECRET = "grafana-admin"


@dataclass(frozen=True)
class MonitoringArgs:
    settings: MonitoringSettings
    refs: PlatformRefs  # namespace, selector labels and dashboard label the values must agree with
    managed_control_plane: bool = False  # GKE: no control-plane or kube-proxy targets to scrape
    grafana_admin_password: pulumi.Input[str] | None = None  # a Pulumi secret; None: the chart generates one


class Monitoring(pulumi.ComponentResource):
    """The chart resource `chart` installs the monitoring.coreos.com CRDs: depend on it before any
    ServiceMonitor, PodMonitor or PrometheusRule."""

    chart: k8s.helm.v4.Chart
    namespace: pulumi.Output[str]

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:addons:Monitoring", name, None, opts)
        namespace_name = args.refs.monitoring_namespace
        namespace = addon_namespace(
            f"{name}-namespace", namespace_name, "privileged", pulumi.ResourceOptions(parent=self)
        )
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
        secret_name = None
        waits_for: list[pulumi.Resource] = [namespace]
        if args.grafana_admin_password is not None:
            secret_name = GRAFANA_ADMIN_SECRET
            secret = kube_object(
                f"{name}-grafana-admin",
                grafana_admin_secret_manifest(
                    secret_name, namespace_name, pulumi.Output.secret(args.grafana_admin_password)
                ),
                in_ns,
            )
            waits_for.append(secret)
        else:
            pulumi.log.warn(
                "grafanaAdminPassword is not set: Grafana's chart generates an admin password into its own Secret "
                "(fix: pulumi config set --secret grafanaAdminPassword <password>)",
                resource=self,
            )
        values = kube_prometheus_stack_values(args.settings, args.refs, args.managed_control_plane, secret_name)
        self.chart = helm_chart(
            f"{name}-chart",
            charts.KUBE_PROMETHEUS_STACK,
            args.settings.version,
            PROMETHEUS_RELEASE,
            namespace_name,
            values,
            pulumi.ResourceOptions(parent=self, depends_on=waits_for),
        )
        self.namespace = namespace.metadata.apply(lambda m: m.name or "")
        self.register_outputs({"namespace": self.namespace})
