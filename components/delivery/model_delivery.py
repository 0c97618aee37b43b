"""ModelDelivery: the progressive-delivery objects of one model (Flagger, KEDA, monitoring, Grafana)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.kube import kube_object
from manifests.delivery import alerting, analysis, autoscaling, canary, dashboard, fallback, health_checks, monitoring
from plan.delivery import DeliveryPlan


@dataclass(frozen=True)
class ModelDeliveryArgs:
    plan: DeliveryPlan  # the validated model, canary policy and platform references
    alert_webhook_url: pulumi.Input[str] | None = None  # secret Output; None: no AlertProvider
    target_deployment: pulumi.Input[str] | None = None  # ModelServing.deployment_name; None: plan.name
    # The model's ModelServing, which registered the HPA before this component owned the autoscaler:
    # the HPA keeps its name and is aliased to its old parent, so an existing stack does not replace it.
    serving: pulumi.Resource | None = None


class ModelDelivery(pulumi.ComponentResource):
    """Canary, MetricTemplates, autoscaler, PodMonitor, PrometheusRule, dashboard, alerts and fallback switch."""

    canary_name: pulumi.Output[str]
    # apiVersion, kind, namespace, name of the Canary and its primaryDeployment: where its health is read.
    canary_ref: pulumi.Output[dict]
    fallback_active: pulumi.Output[bool]

    def __init__(self, name: str, args: ModelDeliveryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:delivery:ModelDelivery", name, None, opts)
        plan = args.plan
        child = pulumi.ResourceOptions(parent=self)
        for warning in plan.warnings:  # e.g. a reinforcement-learning agent not rolled out blue/green in prod
            pulumi.log.warn(warning, resource=self)

        def role(object_name: str) -> str:
            """f"{name}-{role}": the object's name without the model prefix (it is in `name` already)."""
            return f"{name}-{object_name.removeprefix(plan.name).lstrip('-') or 'main'}"

        # Flagger checks every referenced template (and the alert provider) when the Canary starts:
        # they exist first.
        before_canary: list[pulumi.Resource] = [
            kube_object(role(template["metadata"]["name"]), template, child)
            for template in analysis.metric_template_manifests(plan)
        ]
        if plan.alerts and args.alert_webhook_url is not None:
            secret = kube_object(
                f"{name}-alert-webhook", alerting.alert_secret_manifest(plan, args.alert_webhook_url), child
            )
            before_canary.append(
                kube_object(
                    f"{name}-alert-provider",
                    alerting.alert_provider_manifest(plan),
                    pulumi.ResourceOptions(parent=self, depends_on=[secret]),
                )
            )
        # The one autoscaler the plan chooses (plan.serving.scaling); the Canary's autoscalerRef names it.
        if plan.serving.scaling.keda:
            before_canary.append(kube_object(f"{name}-scaled-object", autoscaling.scaled_object_manifest(plan), child))
        else:
            moved = [pulumi.Alias(parent=args.serving)] if args.serving is not None else None
            before_canary.append(
                kube_object(
                    f"{plan.name}-autoscaler",
                    autoscaling.hpa_manifest(plan.serving),
                    pulumi.ResourceOptions(parent=self, aliases=moved),
                )
            )
        canary_manifest = canary.canary_manifest(plan)
        if args.target_deployment is not None:
            # The registered Deployment's name (equal to plan.name) as an input: the Canary waits for its
            # target, which Flagger needs to exist.
            canary_manifest["spec"]["targetRef"]["name"] = args.target_deployment
        canary_resource = kube_object(
            f"{name}-canary", canary_manifest, pulumi.ResourceOptions(parent=self, depends_on=before_canary)
        )

        kube_object(f"{name}-pod-monitor", monitoring.pod_monitor_manifest(plan), child)
        kube_object(f"{name}-alert-rules", monitoring.prometheus_rule_manifest(plan), child)
        kube_object(f"{name}-dashboard", dashboard.dashboard_config_map(plan), child)
        for policy in health_checks.health_check_policy_manifests(plan):
            kube_object(role(policy["metadata"]["name"]), policy, child)

        route = fallback.fallback_route_manifest(plan)
        grant = fallback.reference_grant_manifest(plan)
        if route is not None and grant is not None:
            granted = kube_object(f"{name}-fallback-grant", grant, child)
            kube_object(
                f"{name}-fallback-route",
                route,
                pulumi.ResourceOptions(parent=self, depends_on=[granted, canary_resource]),
            )

        self.canary_name = canary_resource.urn.apply(lambda _: plan.name)
        self.canary_ref = self.canary_name.apply(
            lambda canary_name: {
                "apiVersion": canary_manifest["apiVersion"],
                "kind": canary_manifest["kind"],
                "namespace": plan.namespace,
                "name": canary_name,
                "primaryDeployment": canary.primary_deployment_name(plan),
            }
        )
        self.fallback_active = pulumi.Output.from_input(route is not None)
        self.register_outputs(
            {"canary_name": self.canary_name, "canary_ref": self.canary_ref, "fallback_active": self.fallback_active}
        )
