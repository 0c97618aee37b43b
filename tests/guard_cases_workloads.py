"""Guardrail cases for the rules on a workload and what comes with it: its autoscaler and PDB, its
namespace's default deny, batch jobs on spot, prod serving on on-demand nodes."""

from __future__ import annotations

from tests.guard_objects import (
    DELETE,
    POD,
    POOL,
    Case,
    batch_pool,
    deployment,
    gcp,
    hpa,
    job,
    k8s,
    namespace,
    network_policy,
    node_pool,
    patched,
    pdb,
    scaled_object,
)

_SERVING = (k8s(deployment()), k8s(hpa()), k8s(pdb()))

WORKLOAD_CASES: tuple[Case, ...] = (
    # serving-autoscaler-and-pdb
    Case("serving-autoscaler-and-pdb", "pass-hpa", _SERVING, False),
    Case("serving-autoscaler-and-pdb", "pass-keda", (k8s(deployment()), k8s(scaled_object()), k8s(pdb())), False),
    Case(
        "serving-autoscaler-and-pdb",
        "fail-hpa-targets-another",
        (k8s(deployment()), k8s(hpa("other")), k8s(pdb())),
        True,
    ),
    Case(
        "serving-autoscaler-and-pdb",
        "fail-pdb-selects-others",
        (k8s(deployment()), k8s(hpa()), k8s(pdb({"app": "x"}))),
        True,
    ),
    Case("serving-autoscaler-and-pdb", "missing-pdb", (k8s(deployment()), k8s(hpa())), True),
    # namespace-default-deny
    Case("namespace-default-deny", "pass", (k8s(namespace()), k8s(network_policy())), False),
    Case(
        "namespace-default-deny",
        "fail-allows-ingress",
        (k8s(namespace()), k8s(network_policy({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]}))),
        True,
    ),
    Case("namespace-default-deny", "missing-policy", (k8s(namespace()),), True),
    # batch-on-spot
    Case("batch-on-spot", "pass-job", (k8s(job()),), False),
    Case("batch-on-spot", "pass-cronjob", (k8s(job("CronJob")),), False),
    Case("batch-on-spot", "fail-no-toleration", (k8s(patched(job(), f"{POD}.tolerations", [])),), True),
    Case("batch-on-spot", "missing-node-selector", (k8s(patched(job(), f"{POD}.nodeSelector", DELETE)),), True),
    # The platform's own monitor (core/labels.py WORKLOAD) runs wherever there is room: exempt, spot or not.
    Case(
        "batch-on-spot",
        "pass-platform-monitor-off-spot",
        (
            k8s(
                patched(
                    patched(job("CronJob"), "metadata.labels", {"mlops.platform/workload": "platform-monitor"}),
                    "spec.jobTemplate.spec.template.spec.nodeSelector",
                    DELETE,
                )
            ),
        ),
        False,
    ),
    # prod-serving-on-demand
    Case("prod-serving-on-demand", "pass-on-demand-pool", (gcp(POOL, node_pool(spot=False)),), False),
    Case("prod-serving-on-demand", "fail-spot-pool", (gcp(POOL, node_pool(spot=True)),), True),
    Case(
        "prod-serving-on-demand",
        "fail-deployment-selects-spot",
        (k8s(patched(deployment(), f"{POD}.nodeSelector", {"cloud.google.com/gke-spot": "true"})),),
        True,
    ),
    Case(
        "prod-serving-on-demand",
        "pass-spot-pool-outside-prod",
        (gcp(POOL, node_pool(spot=True)),),
        False,
        environment="dev",
    ),
    Case("prod-serving-on-demand", "missing-spot-setting", (gcp(POOL, node_pool(spot=None)),), False),
    # The batch pool is spot in prod too: its taint keeps serving pods off it, and a Deployment tolerating it is not.
    Case("prod-serving-on-demand", "pass-spot-batch-pool", (gcp(POOL, batch_pool()),), False),
    Case(
        "prod-serving-on-demand",
        "fail-spot-pool-without-the-batch-taint",
        (
            gcp(
                POOL,
                batch_pool(taints=[{"key": "cloud.google.com/gke-spot", "value": "true", "effect": "NO_SCHEDULE"}]),
            ),
        ),
        True,
    ),
    Case(
        "prod-serving-on-demand",
        "fail-deployment-tolerates-the-batch-taint",
        (
            k8s(
                patched(
                    deployment(),
                    f"{POD}.tolerations",
                    [
                        {
                            "key": "mlops.platform/node-role",
                            "operator": "Equal",
                            "value": "batch",
                            "effect": "NoSchedule",
                        }
                    ],
                )
            ),
        ),
        True,
    ),
)
