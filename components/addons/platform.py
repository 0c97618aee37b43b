"""PlatformAddons: every add-on of the stack, in an order where no custom resource can be applied
before its CRD, across charts too.

helm.v4.Chart orders a chart's own CRDs before its own custom resources, but cannot see other charts
(facts-delivery.md §6). So: kube-prometheus-stack first (monitoring.coreos.com CRDs); Flagger's chart
(a PodMonitor) and KEDA's (a ServiceMonitor) depend on it. Each CRD group has exactly one installer.
Per-model objects depend on the attributes below; a dependency on a chart waits for every object it
rendered (a remote component completes after its children).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.addons.flagger import Flagger, FlaggerArgs
from components.addons.keda import Keda, KedaArgs
from components.addons.monitoring import Monitoring, MonitoringArgs
from components.addons.traffic import TrafficLayer, TrafficLayerArgs
from plan.mlflow_route import MlflowRoute
from plan.platform import PlatformRefs
from settings.addons import AddonsSettings


@dataclass(frozen=True)
class PlatformAddonsArgs:
    settings: AddonsSettings
    refs: PlatformRefs  # plan.platform.platform_refs of the same settings
    summary: dict[str, object]  # plan.platform.platform_summary: how to reach the add-ons, chart pins
    managed_control_plane: bool = False  # a GKE cluster
    project: str | None = None  # GCP project (GKE stacks), for the Gateway's static address
    grafana_admin_password: pulumi.Input[str] | None = None  # a Pulumi secret
    mlflow_route: MlflowRoute | None = None  # the stack's own tracking server's Gateway route, if any


class PlatformAddons(pulumi.ComponentResource):
    refs: PlatformRefs
    monitoring: Monitoring | None
    flagger: Flagger | None
    keda: Keda | None
    traffic: TrafficLayer
    # What a custom resource of each group must depend on (empty when the add-on is off):
    monitoring_crds: list[pulumi.Resource]  # ServiceMonitor, PodMonitor, PrometheusRule
    flagger_crds: list[pulumi.Resource]  # Canary, MetricTemplate, AlertProvider
    keda_crds: list[pulumi.Resource]  # ScaledObject, TriggerAuthentication
    # Everything a model's delivery objects may need running: charts, the load tester, the Gateway.
    ready: list[pulumi.Resource]
    summary: pulumi.Output[dict]  # args.summary plus the Gateway's reserved address

    def __init__(self, name: str, args: PlatformAddonsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:addons:PlatformAddons", name, None, opts)
        settings, refs = args.settings, args.refs
        child = pulumi.ResourceOptions(parent=self)
        self.refs = refs

        self.monitoring = None
        if settings.monitoring.enabled:
            self.monitoring = Monitoring(
                f"{name}-monitoring",
                MonitoringArgs(
                    settings=settings.monitoring,
                    refs=refs,
                    managed_control_plane=args.managed_control_plane,
                    grafana_admin_password=args.grafana_admin_password,
                ),
                child,
            )
        self.monitoring_crds = [self.monitoring.chart] if self.monitoring else []

        self.traffic = TrafficLayer(
            f"{name}-traffic",
            TrafficLayerArgs(settings=settings.traffic, project=args.project, mlflow_route=args.mlflow_route),
            child,
        )

        self.flagger = None
        if settings.flagger.enabled:
            self.flagger = Flagger(
                f"{name}-flagger",
                FlaggerArgs(
                    settings=settings.flagger,
                    refs=refs,
                    loadtester_namespace=self.traffic.namespace,
                    crds=self.monitoring_crds,
                ),
                child,
            )
        self.flagger_crds = [self.flagger.chart] if self.flagger else []

        self.keda = None
        if settings.keda.enabled:
            self.keda = Keda(
                f"{name}-keda",
                KedaArgs(settings=settings.keda, refs=refs, gke=args.managed_control_plane, crds=self.monitoring_crds),
                child,
            )
        self.keda_crds = [self.keda.chart] if self.keda else []

        self.ready = [
            *self.monitoring_crds,
            *self.flagger_crds,
            *([self.flagger.loadtester] if self.flagger else []),
            *self.keda_crds,
            *([self.traffic.gateway] if self.traffic.gateway else []),
        ]
        self.summary = pulumi.Output.from_input({**args.summary, "gatewayAddress": self.traffic.address})
        self.register_outputs({"summary": self.summary})
