"""ModelServing: the Kubernetes serving stack of one model in one environment."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import pulumi

from components.kube import kube_object
from components.serving.quality_monitor import QualityMonitor, QualityMonitorArgs
from components.serving.registry_credentials import registry_credentials_secret
from facts.waits import deployment_timeouts
from manifests import batch as batch_build
from manifests import serving as build
from manifests.network_policies import network_policy_manifests
from plan.batch import BatchPlan
from plan.quality_monitor import QualityMonitorPlan
from plan.serving_plan import ServingPlan


@dataclass(frozen=True)
class ModelServingArgs:
    plan: ServingPlan  # the validated model, environment and runtime
    version: pulumi.Input[str]  # the registry version to serve (a pin, or a resolved ModelVersion output)
    # The registry credentials Secret's values, one per key plan.registry_credentials names (secret
    # Outputs); None: the pods sign in with nothing.
    registry_credentials: Mapping[str, pulumi.Input[str]] | None = None
    # e.g. the Workload Identity binding {"iam.gke.io/gcp-service-account": <email Output>}
    service_account_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # A Flagger Canary creates and owns the Service `<name>` (it rewrites its selector): do not manage it too.
    flagger_owns_service: bool = False
    # The drift/accuracy monitor of this model (plan/quality_monitor.py); None: the model has none.
    quality_monitor: QualityMonitorPlan | None = None
    # Scheduled batch scoring with the served version (plan/batch.py); each a CronJob beside the Deployment.
    batch_jobs: tuple[BatchPlan, ...] = ()


def _cronjob(job: BatchPlan, version: object) -> dict:
    return batch_build.cronjob_manifest(job, str(version))


class ModelServing(pulumi.ComponentResource):
    """Namespace, ServiceAccount, Deployment, Service, PDB, NetworkPolicies, batch CronJobs and monitor of one model."""

    namespace: pulumi.Output[str]
    deployment_name: pulumi.Output[str]
    service_name: pulumi.Output[str]
    version: pulumi.Output[str]

    def __init__(self, name: str, args: ModelServingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:serving:ModelServing", name, None, opts)
        plan = replace(
            args.plan,
            service_account_annotations={**args.plan.service_account_annotations, **args.service_account_annotations},
        )
        child = pulumi.ResourceOptions(parent=self)

        namespace = kube_object(f"{name}-namespace", build.namespace_manifest(plan), child)
        # Everything else lives in the namespace: create it first, delete it last.
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[namespace])

        kube_object(f"{name}-service-account", build.service_account_manifest(plan), in_ns)
        if args.registry_credentials is not None:
            registry_credentials_secret(name, build.registry_secret_manifest(plan, args.registry_credentials), in_ns)

        version = pulumi.Output.from_input(args.version)
        manifest = version.apply(lambda v: build.deployment_manifest(plan, str(v)))
        deployment = kube_object(
            f"{name}-deployment",
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": manifest.apply(lambda m: m["metadata"]),
                "spec": manifest.apply(lambda m: m["spec"]),
            },
            # A GPU model's first pod waits for a node, a multi-GB image, its weights and its start-up:
            # far beyond the 10 min default (facts/waits.py derives it per runtime).
            pulumi.ResourceOptions.merge(
                in_ns,
                pulumi.ResourceOptions(
                    custom_timeouts=pulumi.CustomTimeouts(**deployment_timeouts(plan.runtime.name).as_strings())
                ),
            ),
        )
        if args.flagger_owns_service:
            service_name: pulumi.Output[str] = pulumi.Output.from_input(plan.name)
        else:
            service = kube_object(f"{name}-service", build.service_manifest(plan), in_ns)
            service_name = service.metadata.apply(lambda m: m.name)
        # The autoscaler (HPA or ScaledObject, plan.scaling) is ModelDelivery's, beside the Canary naming it.
        kube_object(f"{name}-disruption-budget", build.pdb_manifest(plan), in_ns)
        for policy in network_policy_manifests(plan):
            kube_object(f"{name}-{policy['metadata']['name']}", policy, in_ns)
        for job in args.batch_jobs:
            # The Deployment's own version Output: a batch job never scores with another version.
            cronjob = version.apply(functools.partial(_cronjob, job))
            kube_object(
                f"{name}-batch-{job.job.name}",
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "metadata": cronjob.apply(lambda m: m["metadata"]),
                    "spec": cronjob.apply(lambda m: m["spec"]),
                },
                in_ns,
            )
        if args.quality_monitor is not None:
            QualityMonitor(f"{name}-quality", QualityMonitorArgs(plan=args.quality_monitor), in_ns)

        self.namespace = namespace.metadata.apply(lambda m: m.name)
        self.deployment_name = deployment.metadata.apply(lambda m: m.name)
        self.service_name = service_name
        self.version = version.apply(str)
        self.register_outputs(
            {
                "namespace": self.namespace,
                "deployment_name": self.deployment_name,
                "service_name": self.service_name,
                "version": self.version,
            }
        )
