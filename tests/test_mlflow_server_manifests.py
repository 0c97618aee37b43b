"""The stack's own MLflow server: every object valid against the strict schema, for both stores, and the
properties that matter (no password in a pod spec, artifacts served, only the allowed namespaces let in)."""

from __future__ import annotations

import json

import pytest

from facts import mlflow_server as facts
from manifests.mlflow_server.server_args import BACKEND_URI_ENV, PASSWORD_REFERENCE, backend_store_uri
from manifests.mlflow_server.server_objects import ServerInputs, server_manifests
from plan.mlflow_server import mlflow_server_plan
from tests.addon_settings import stack_settings
from tests.schemas import validate

SECRET = "s3cret-do-not-render"
INPUTS = ServerInputs(
    database_password=SECRET,
    admin_password=SECRET,
    flask_secret_key=SECRET,
    auth_config_ini=f"[mlflow]\ndatabase_uri = postgresql://mlflow:{SECRET}@h:5432/mlflow\n",
    service_account_annotations={"iam.gke.io/gcp-service-account": "mlflow-dev@acme-ml-dev.iam.gserviceaccount.com"},
    bucket="acme-ml-dev-dev-mlflow",
    connection_name="acme-ml-dev:us-central1:mlflow-dev",
)
MODELS = ("churn-prediction", "fraud-detection")


def _objects(stack: str, **server):
    settings = stack_settings(stack, mlflowServer={"enabled": True, **server}, hasMlflowPassword=True)
    plan = mlflow_server_plan(settings, MODELS)
    assert plan is not None
    return settings, plan, dict(server_manifests(plan, INPUTS))


def _deployment(objects):
    return objects["deployment"]["spec"]["template"]["spec"]


@pytest.mark.parametrize("stack", ["local", "dev", "staging", "prod"])
def test_every_object_is_valid_for_every_stack(stack):
    settings, _plan, objects = _objects(stack)
    for manifest in objects.values():
        validate(manifest, settings.kubernetes_version)


def test_off_by_default_on_every_stack():
    # local too: a first `up` cannot ask a server it is about to create (docs/mlflow-server.md, bootstrap)
    stacks = ("local", "dev", "staging", "prod")
    assert [mlflow_server_plan(stack_settings(s), MODELS) is None for s in stacks] == [True] * 4


def test_no_password_in_any_pod_spec():
    for stack in ("local", "prod"):
        _settings, _plan, objects = _objects(stack)
        pods = [m for role, m in objects.items() if m["kind"] in ("Deployment", "StatefulSet")]
        assert pods and SECRET not in json.dumps(pods)
        env = {e["name"]: e for e in _deployment(objects)["containers"][0]["env"]}
        assert PASSWORD_REFERENCE in env[BACKEND_URI_ENV]["value"]
        assert env["MLFLOW_AUTH_ADMIN_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "mlflow-auth"


def test_gke_serves_gcs_artifacts_through_the_server_and_reaches_cloud_sql_by_the_native_sidecar_proxy():
    _settings, _plan, objects = _objects("dev")
    pod = _deployment(objects)
    server = pod["containers"][0]
    args = server["args"]
    assert args[:2] == ["mlflow", "server"] and "--serve-artifacts" in args
    assert args[args.index("--artifacts-destination") + 1] == "gs://acme-ml-dev-dev-mlflow"
    assert args[-2:] == ["--app-name", "basic-auth"]
    (proxy,) = pod["initContainers"]
    assert proxy["restartPolicy"] == "Always" and proxy["image"] == facts.CLOUD_SQL_PROXY_IMAGE
    assert "--private-ip" in proxy["args"] and proxy["args"][-1] == "acme-ml-dev:us-central1:mlflow-dev"
    env = {e["name"]: e.get("value") for e in server["env"]}
    assert env[BACKEND_URI_ENV] == backend_store_uri("127.0.0.1", 5432, PASSWORD_REFERENCE)
    assert objects["service-account"]["metadata"]["annotations"] == INPUTS.service_account_annotations
    assert "postgres" not in objects


def test_an_older_cluster_gets_the_proxy_as_a_plain_sidecar():
    _settings, _plan, objects = _objects("dev", **{})
    settings = stack_settings("dev", kubernetesVersion="1.28", mlflowServer={"enabled": True}, hasMlflowPassword=True)
    plan = mlflow_server_plan(settings, MODELS)
    pod = _deployment(dict(server_manifests(plan, INPUTS)))
    assert "initContainers" not in pod and [c["name"] for c in pod["containers"]] == ["mlflow", "cloud-sql-proxy"]
    assert "restartPolicy" not in pod["containers"][1]


def test_local_runs_postgres_in_the_cluster_and_keeps_artifacts_on_a_volume():
    _settings, plan, objects = _objects("local")
    assert objects["postgres"]["kind"] == "StatefulSet"
    assert objects["artifacts"]["kind"] == "PersistentVolumeClaim"
    server = _deployment(objects)["containers"][0]
    assert server["args"][server["args"].index("--artifacts-destination") + 1] == "/mlartifacts"
    env = {e["name"]: e.get("value") for e in server["env"]}
    assert env[BACKEND_URI_ENV] == backend_store_uri(
        "mlflow-postgres.mlflow.svc.cluster.local", 5432, PASSWORD_REFERENCE
    )
    assert objects["deployment"]["spec"]["strategy"] == {"type": "Recreate"}  # one ReadWriteOnce volume
    assert plan.uri == "http://mlflow.mlflow.svc.cluster.local:5000"


def test_only_model_monitoring_and_traffic_namespaces_reach_the_server_and_only_it_reaches_postgres():
    _settings, _plan, objects = _objects("local")
    assert objects["default-deny-ingress"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    (rule,) = objects["allow-tracking-clients"]["spec"]["ingress"]
    peers = sorted(p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for p in rule["from"])
    assert peers == ["gateway", "ml-churn-prediction", "ml-fraud-detection", "monitoring"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 5000}]
    (db_rule,) = objects["allow-database-from-server"]["spec"]["ingress"]
    assert db_rule["from"] == [
        {"podSelector": {"matchLabels": objects["deployment"]["spec"]["selector"]["matchLabels"]}}
    ]


def test_the_server_answers_its_service_names_and_a_port_forward():
    _settings, plan, objects = _objects("local")
    args = _deployment(objects)["containers"][0]["args"]
    hosts = args[args.index("--allowed-hosts") + 1].split(",")
    assert {"mlflow.mlflow.svc.cluster.local:5000", "mlflow.mlflow:5000", "localhost:5000"} <= set(hosts)


def test_auth_none_drops_the_auth_app_and_its_secret():
    _settings, _plan, objects = _objects("dev", auth="none")
    assert "auth-secret" not in objects
    assert "--app-name" not in _deployment(objects)["containers"][0]["args"]


def test_binary_authorization_admits_every_image_of_the_server():
    from facts.upstream_images import DEFAULT_ALLOWLIST
    from tests.test_upstream_images import admitted

    for stack in ("prod",):  # local has no Binary Authorization (its PostgreSQL is not allowlisted)
        _settings, _plan, objects = _objects(stack)
        for manifest in objects.values():
            pod = manifest.get("spec", {}).get("template", {}).get("spec", {})
            for container in pod.get("initContainers", []) + pod.get("containers", []):
                assert admitted(DEFAULT_ALLOWLIST, container["image"]), (stack, container["image"])
