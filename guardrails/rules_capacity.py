"""Capacity rules: training and batch Jobs run on spot nodes; production serving pools are on-demand."""

from __future__ import annotations

from core import labels as L
from guardrails.k8s_checks import SPOT_LABEL, SPOT_TAINT_KEY, selects_node_label, tolerates
from guardrails.rule import GuardContext, Rule
from guardrails.subject import BATCH_KINDS, Subject, dig
from guardrails.violation import Finding

NODE_POOL = "gcp:container/nodePool:NodePool"


def _batch_on_spot(subject: Subject, context: GuardContext) -> list[Finding]:
    if subject.kind not in BATCH_KINDS or subject.pod_spec is None:
        return []
    if dig(subject.plain, "metadata", "labels", L.WORKLOAD) == L.PLATFORM_MONITOR:
        return []  # the platform's own monitoring job, not training/batch compute (core/labels.py)
    spec = subject.pod_spec
    if selects_node_label(spec, SPOT_LABEL, "true") and tolerates(spec, SPOT_TAINT_KEY):
        return []
    return [
        Finding(
            subject.label,
            "training/batch job does not run on spot nodes",
            f'add nodeSelector {SPOT_LABEL}: "true" and a toleration for the {SPOT_TAINT_KEY} taint',
        )
    ]


def _serving_pools_on_demand(subject: Subject, context: GuardContext) -> list[Finding]:
    if not context.production:
        return []
    if subject.type == NODE_POOL and dig(subject.plain, "nodeConfig", "spot") is True:
        return [
            Finding(
                subject.label,
                "production serving node pool uses spot VMs, which GKE may reclaim at any time",
                "set spot: false on the pool (serve prod on on-demand or reserved capacity)",
            )
        ]
    spec = subject.pod_spec
    if subject.kind == "Deployment" and spec is not None and selects_node_label(spec, SPOT_LABEL, "true"):
        return [
            Finding(
                subject.label,
                "production serving Deployment selects spot nodes",
                f"remove the {SPOT_LABEL} node selector: prod serving runs on on-demand nodes",
            )
        ]
    return []


BATCH_ON_SPOT = Rule(
    "batch-on-spot",
    "Training and batch Jobs (and CronJobs) select spot nodes and tolerate their taint.",
    resource_check=_batch_on_spot,
)
PROD_ON_DEMAND = Rule(
    "prod-serving-on-demand",
    "In production, GPU node pools and serving Deployments use on-demand (not spot) capacity.",
    resource_check=_serving_pools_on_demand,
)
