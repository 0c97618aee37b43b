"""Engine events of realistic previews, shared by the driver, CLI and report tests."""

from __future__ import annotations

from tests.fake_pulumi import pre_event, summary

DYNAMIC = "pulumi-python:dynamic:Resource"
NODE_POOL = "gcp:container/nodePool:NodePool"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def _gate(passed=True, bypassed=False, reasons=(), metrics=None):
    return {
        "passed": passed,
        "bypassed": bypassed,
        "reasons": list(reasons),
        "candidate_metrics": metrics or {},
        "gates": [],
    }


def churn_v6_to_v7(stack="prod"):
    old = {
        "model": "churn-prediction",
        "registered_model": "churn-prediction",
        "version": "6",
        "metrics": {"accuracy": 0.91, "f1_weighted": 0.88},
    }
    new = {
        **old,
        "version": "7",
        "metrics": {"accuracy": 0.93, "f1_weighted": 0.9},
        "gate": _gate(metrics={"accuracy": 0.93}),
    }
    return pre_event("update", DYNAMIC, "churn-prediction-version", stack, old=(old,), new=new, diffs=["version"])


def fraud_pinned(stack="prod"):
    old = {"model": "fraud-detection", "registered_model": "fraud-detection", "version": "4", "metrics": {"auc": 0.97}}
    new = {
        **old,
        "version": "3",
        "metrics": {"auc": 0.95},
        "gate": _gate(bypassed=True, reasons=["pinned {version: 3}: gates bypassed"]),
    }
    return pre_event("update", DYNAMIC, "fraud-detection-version", stack, old=(old,), new=new, diffs=["version"])


def gpu_pool_replaced(stack="prod"):
    old = {
        "name": "l4",
        "nodeConfig": {
            "guestAccelerators": [{"type": "nvidia-l4", "gpuDriverInstallationConfig": {"gpuDriverVersion": "DEFAULT"}}]
        },
    }
    new = {
        "name": "l4",
        "nodeConfig": {
            "guestAccelerators": [{"type": "nvidia-l4", "gpuDriverInstallationConfig": {"gpuDriverVersion": "LATEST"}}]
        },
    }
    return pre_event(
        "replace",
        NODE_POOL,
        f"{stack}-gpu-l4",
        stack,
        old=(old,),
        new=new,
        diffs=["nodeConfig"],
        keys=["nodeConfig"],
        detailed={"nodeConfig.guestAccelerators[0].gpuDriverInstallationConfig.gpuDriverVersion": "update-replace"},
    )


def deployment_update(stack="prod"):
    old = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "spec": {"template": {"metadata": {"labels": {"version": "6"}}}},
    }
    new = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "spec": {"template": {"metadata": {"labels": {"version": "7"}}}},
    }
    return pre_event("update", DEPLOYMENT, "churn-prediction-server", stack, old=(old,), new=new, diffs=["spec"])


def prod_preview_events():
    return [
        churn_v6_to_v7(),
        fraud_pinned(),
        gpu_pool_replaced(),
        deployment_update(),
        pre_event("same", "kubernetes:core/v1:Namespace", "ml-churn-prediction", "prod", old=({},), new={}),
        summary({"same": 40, "update": 3, "replace": 1}),
    ]
