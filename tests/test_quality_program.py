"""The whole program per stack: every MLServer model gets its quality monitor, GPU models none, and the
images built here come from the stack's own registry."""

from __future__ import annotations

import json

import pytest

from facts import pushgateway as pgw
from facts.built_images import IMAGE_TAG
from ops.stack_config import load_stack_config
from tests.conftest import PROJECT_DIR, STACKS

CPU_MODELS = {"churn-prediction", "fraud-detection"}  # runtime mlserver in models/


def _registry(stack: str) -> str:
    values = load_stack_config(PROJECT_DIR, stack).values
    cluster = json.loads(values.get("mlops-platform:cluster", "{}"))
    if cluster.get("mode", "kubeconfig") == "kubeconfig":
        return ""
    repository = values.get("mlops-platform:imageRepository", "model-serving")
    # The stack files' GKE clusters are regional, so their location is the Artifact Registry region.
    return f"{cluster['location']}-docker.pkg.dev/{cluster['project']}/{repository}/"


@pytest.mark.parametrize("stack", STACKS)
def test_each_mlserver_model_has_a_monitor_pushing_to_the_stacks_pushgateway(stack_runs, stack):
    objects = [r.inputs for r in stack_runs[stack].kubernetes_objects()]
    cronjobs = {
        o["metadata"]["namespace"]: o
        for o in objects
        if o["kind"] == "CronJob" and o["metadata"]["labels"].get("app.kubernetes.io/component") == "quality-monitor"
    }
    served = {
        o["metadata"]["name"]: o
        for o in objects
        if o["kind"] == "Deployment" and o["metadata"]["labels"].get("app.kubernetes.io/component") == "model-server"
    }
    mlserver_models = CPU_MODELS & set(served)
    assert {c["metadata"]["name"] for c in cronjobs.values()} == {f"{m}-monitor" for m in mlserver_models}
    (gateway,) = [o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == pgw.NAME]
    for model in mlserver_models:
        namespace = served[model]["metadata"]["namespace"]
        pod = cronjobs[namespace]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
        assert env["MONITOR_PUSHGATEWAY_URL"] == pgw.url(gateway["metadata"]["namespace"])
        assert pod["containers"][0]["image"] == f"{_registry(stack)}quality-monitor:{IMAGE_TAG}"
        server = served[model]["spec"]["template"]["spec"]["containers"][0]
        assert server["image"] == f"{_registry(stack)}mlserver-quality:{IMAGE_TAG}"
