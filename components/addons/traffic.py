"""The traffic layer: the namespace of the Gateway and the load tester, and on GKE the Gateway itself
(GKE's managed controller, a weighted class) with its reserved address."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.addons.namespace import addon_namespace
from components.kube import kube_object
from manifests.addons.gateway import gateway_manifest
from plan.mlflow_route import MlflowRoute
from settings.addons import TrafficSettings


@dataclass(frozen=True)
class TrafficLayerArgs:
    settings: TrafficSettings
    project: str | None = None  # GCP project of the static address (GKE stacks)
    # The stack's own tracking server's route (plan/mlflow_route.py): the Gateway gets its listener.
    mlflow_route: MlflowRoute | None = None


class TrafficLayer(pulumi.ComponentResource):
    namespace: pulumi.Output[str]
    gateway: k8s.apiextensions.CustomResource | None
    address: pulumi.Output[str] | None  # the reserved IP, when the stack asks for one

    def __init__(self, name: str, args: TrafficLayerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:addons:TrafficLayer", name, None, opts)
        settings = args.settings
        namespace = addon_namespace(
            f"{name}-namespace", settings.namespace, "baseline", pulumi.ResourceOptions(parent=self)
        )
        self.namespace = namespace.metadata.apply(lambda m: m.name or "")
        self.gateway = None
        self.address = None
        if settings.layer == "gke-gateway":
            waits_for: list[pulumi.Resource] = [namespace]
            if settings.static_ip_name:
                reserved = self._reserve_address(name, settings, args)
                self.address = reserved.address
                waits_for.append(reserved)
            manifest = gateway_manifest(settings, args.mlflow_route)
            # GKE installs and owns the Gateway API CRDs (the cluster's gatewayApiConfig): none from us.
            self.gateway = kube_object(
                f"{name}-gateway", manifest, pulumi.ResourceOptions(parent=self, depends_on=waits_for)
            )
        self.register_outputs({"namespace": self.namespace, "address": self.address})

    def _reserve_address(
        self, name: str, settings: TrafficSettings, args: TrafficLayerArgs
    ) -> gcp.compute.GlobalAddress:
        # A global external address for the global class (settings refuse a static IP for the regional ones).
        return gcp.compute.GlobalAddress(
            f"{name}-address",
            name=settings.static_ip_name,
            project=args.project,
            address_type="EXTERNAL",
            opts=pulumi.ResourceOptions(parent=self),
        )
