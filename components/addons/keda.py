"""Event-driven autoscaling: KEDA (operator, metrics API server, admission webhooks, its CRDs)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.addons.helm import helm_chart
from components.addons.namespace import addon_namespace
from facts import charts
from manifests.addons.keda import keda_values
from plan.platform import KEDA_RELEASE, PlatformRefs
from settings.addons import KedaSettings


@dataclass(frozen=True)
class KedaArgs:
    settings: KedaSettings
    refs: PlatformRefs
    gke: bool = False  # serve the control plane on the port GKE's private-node firewall admits
    # Charts whose CRDs KEDA's chart uses (its ServiceMonitor needs monitoring.coreos.com).
    crds: list[pulumi.Resource] = field(default_factory=list)


class Keda(pulumi.ComponentResource):
    """`chart` installs the keda.sh CRDs (ScaledObject, TriggerAuthentication, ...)."""

    chart: k8s.helm.v4.Chart
    namespace: pulumi.Output[str]

    def __init__(self, name: str, args: KedaArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:addons:Keda", name, None, opts)
        namespace = addon_namespace(
            f"{name}-namespace", args.settings.namespace, "baseline", pulumi.ResourceOptions(parent=self)
        )
        self.chart = helm_chart(
            f"{name}-chart",
            charts.KEDA,
            args.settings.version,
            KEDA_RELEASE,
            args.settings.namespace,
            keda_values(args.settings, args.refs, args.gke),
            pulumi.ResourceOptions(parent=self, depends_on=[namespace, *args.crds]),
        )
        self.namespace = namespace.metadata.apply(lambda m: m.name or "")
        self.register_outputs({"namespace": self.namespace})
