"""Capacity rules: training and batch Jobs run on spot nodes; production serving pools are on-demand.

Batch-on-spot is mandatory wherever the cluster has spot nodes (every GKE stack has a spot batch pool
for the catalogue's jobs, settings/batch_node_pool.py) and advisory on a cluster without them (kind),
where it cannot be met. The spot pool of batch jobs is not a serving pool: it carries a taint only
batch pods tolerate, so prod-serving-on-demand lets it be spot, and refuses a prod Deployment that
tolerates that taint.
"""

from __future__ import annotations

from core import labels as L
from guardrails.k8s_checks import SPOT_LABEL, SPOT_TAINT_KEY, selects_node_label, tolerates
from guardrails.rule import GuardContext, Rule
from guardrails.subject import BATCH_KINDS, Subject, dig
from guardrails.violation import Finding
from settings.batch_node_pool import BATCH_ROLE, NODE_ROLE_KEY

NODE_POOL = "gcp:container/nodePool:NodePool"


def is_batch_pool(pool: Subject) -> bool:
    """A node pool tainted for batch pods only (components/cluster/batch_node_pool.py), in GKE's spelling."""
    taints = dig(pool.plain, "nodeConfig", "taints") or []
    return any(
        t.get("key") == NODE_ROLE_KEY and t.get("value") == BATCH_ROLE and t.get("effect") == "NO_SCHEDULE"
        for t in taints
    )


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
    if subject.type == NODE_POOL and dig(subject.plain, "nodeConfig", "spot") is True and not is_batch_pool(subject):
        return [
            Finding(
                subject.label,
                "production serving node pool uses spot VMs, which GKE may reclaim at any time",
                "set spot: false on the pool (serve prod on on-demand or reserved capacity)",
            )
        ]
    spec = subject.pod_spec
    if subject.kind != "Deployment" or spec is None:
        return []
    findings = []
    if selects_node_label(spec, SPOT_LABEL, "true"):
        findings.append(
            Finding(
                subject.label,
                "production serving Deployment selects spot nodes",
                f"remove the {SPOT_LABEL} node selector: prod serving runs on on-demand nodes",
            )
        )
    if tolerates(spec, NODE_ROLE_KEY):
        findings.append(
            Finding(
                subject.label,
                f"production serving Deployment tolerates the spot batch pool's taint {NODE_ROLE_KEY}",
                f"remove that toleration (and any key-less Exists one): only batch jobs run on the {BATCH_ROLE} pool",
            )
        )
    return findings


BATCH_ON_SPOT = Rule(
    "batch-on-spot",
    "Training and batch Jobs (and CronJobs) select spot nodes and tolerate their taint "
    "(mandatory where the cluster has spot nodes, advisory on one without).",
    resource_check=_batch_on_spot,
    elsewhere="mandatory",
    without_spot="advisory",
)
PROD_ON_DEMAND = Rule(
    "prod-serving-on-demand",
    "In production, serving node pools and Deployments use on-demand (not spot) capacity; only the batch pool is spot.",
    resource_check=_serving_pools_on_demand,
)
