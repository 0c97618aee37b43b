"""QualityMonitor: the drift/accuracy CronJob of one model, with its ServiceAccount and log-reading Role."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.kube import kube_object
from manifests import quality_monitor_job as build
from plan.quality_monitor import QualityMonitorPlan


@dataclass(frozen=True)
class QualityMonitorArgs:
    plan: QualityMonitorPlan  # the model it watches, the image, where results are pushed


class QualityMonitor(pulumi.ComponentResource):
    """ServiceAccount, Role, RoleBinding and CronJob in the model's namespace."""

    cronjob_name: pulumi.Output[str]

    def __init__(self, name: str, args: QualityMonitorArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:serving:QualityMonitor", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        roles = {
            "ServiceAccount": "service-account",
            "Role": "role",
            "RoleBinding": "role-binding",
            "CronJob": "cronjob",
        }
        for manifest in build.quality_monitor_manifests(args.plan):
            kube_object(f"{name}-{roles[manifest['kind']]}", manifest, child)
        self.cronjob_name = pulumi.Output.from_input(args.plan.name)
        self.register_outputs({"cronjob_name": self.cronjob_name})
