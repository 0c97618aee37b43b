"""Progressive delivery: Flagger (with its CRDs) and the flagger-loadtester."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.addons.helm import helm_chart
from components.addons.namespace import addon_namespace
from facts import charts
from manifests.addons.flagger import flagger_values, loadtester_values
from plan.platform import FLAGGER_RELEASE, LOADTESTER_RELEASE, PlatformRefs
from settings.addons import FlaggerSettings


@dataclass(frozen=True)
class FlaggerArgs:
    settings: FlaggerSettings
    refs: PlatformRefs
    loadtester_namespace: pulumi.Input[str]  # the traffic namespace (model NetworkPolicies admit it)
    # Charts whose CRDs Flagger's chart uses (its PodMonitor needs monitoring.coreos.com).
    crds: list[pulumi.Resource] = field(default_factory=list)


class Flagger(pulumi.ComponentResource):
    """`chart` installs the flagger.app CRDs (Canary, MetricTemplate, AlertProvider)."""

    chart: k8s.helm.v4.Chart
    loadtester: k8s.helm.v4.Chart
    namespace: pulumi.Output[str]

    def __init__(self, name: str, args: FlaggerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:addons:Flagger", name, None, opts)
        settings = args.settings
        namespace = addon_namespace(
            f"{name}-namespace", settings.namespace, "baseline", pulumi.ResourceOptions(parent=self)
        )
        self.chart = helm_chart(
            f"{name}-chart",
            charts.FLAGGER,
            settings.version,
            FLAGGER_RELEASE,
            settings.namespace,
            flagger_values(settings, args.refs),
            pulumi.ResourceOptions(parent=self, depends_on=[namespace, *args.crds]),
        )
        self.loadtester = helm_chart(
            f"{name}-loadtester",
            charts.LOADTESTER,
            settings.loadtester_version,
            LOADTESTER_RELEASE,
            args.loadtester_namespace,
            loadtester_values(settings),
            pulumi.ResourceOptions(parent=self),
        )
        self.namespace = namespace.metadata.apply(lambda m: m.name or "")
        self.register_outputs({"namespace": self.namespace})
