"""The stack's own MLflow server as the whole program registers it (Pulumi's mocks, a real registry): the
Cloud SQL instance, bucket and identity on GKE, secrets that stay secrets, and an empty registry whose models
wait for their first registration instead of failing the stack."""

from __future__ import annotations

import json

import pytest
import yaml

from core.problems import ConfigError
from facts.cloud_sql_prices import monthly_compute_usd
from ops.demo.local_mlflow import start_local_mlflow
from ops.demo.local_process import free_port
from ops.offline.engine import run_program
from ops.offline.guardrail_gate import guard_run
from ops.offline.program_run import ProgramError
from ops.offline.render import _write
from ops.offline.wire_values import is_secret, unwrap
from ops.stack_config import load_stack_config
from settings.stack import config_key
from tests.conftest import ADMIN_PASSWORD, PROJECT_DIR, own_server_config
from tests.schemas import validate

INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance"


def _run(stack: str, uri: str, **server):
    return run_program(PROJECT_DIR, own_server_config(stack, uri, **server))


def _one(run, type_token: str):
    (found,) = run.by_type(type_token)
    return found


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_gke_gets_a_private_backed_up_cloud_sql_instance_and_a_bucket_only_its_identity_uses(
    mlflow_server, seeded_demo, stack
):
    run = _run(stack, mlflow_server.uri)
    prod = stack == "prod"
    instance = _one(run, INSTANCE)
    settings = instance.inputs["settings"]
    assert settings["ipConfiguration"]["ipv4Enabled"] is False
    assert settings["ipConfiguration"]["privateNetwork"].endswith("/global/networks/default")
    backups = settings["backupConfiguration"]
    assert backups["enabled"] is True and backups["pointInTimeRecoveryEnabled"] is True
    assert instance.inputs["deletionProtection"] is prod and settings["deletionProtectionEnabled"] is prod
    assert instance.options.get("protect", False) is prod
    assert settings["tier"] == ("db-custom-2-7680" if prod else "db-g1-small")
    assert settings["availabilityType"] == ("REGIONAL" if prod else "ZONAL")

    buckets = [b for b in run.by_type("gcp:storage/bucket:Bucket") if b.name.startswith("mlflow-server")]
    (bucket,) = buckets
    assert bucket.inputs["versioning"] == {"enabled": True} and bucket.inputs["uniformBucketLevelAccess"] is True
    grants = [g for g in run.by_type("gcp:storage/bucketIAMMember:BucketIAMMember") if g.name.startswith("mlflow")]
    assert [(g.inputs["bucket"], g.inputs["role"]) for g in grants] == [
        (bucket.inputs["name"], "roles/storage.objectAdmin")
    ]
    (sql_client,) = [g for g in run.by_type("gcp:projects/iAMMember:IAMMember") if g.name.startswith("mlflow")]
    assert sql_client.inputs["role"] == "roles/cloudsql.client"
    assert f'/instances/{instance.inputs["name"]}"' in sql_client.inputs["condition"]["expression"]
    (binding,) = [b for b in run.by_type("gcp:serviceaccount/iAMMember:IAMMember") if b.name.startswith("mlflow")]
    assert binding.inputs["member"].endswith("[mlflow/mlflow]")

    user = _one(run, "gcp:sql/user:User")
    assert is_secret(user.inputs["password"])
    for obj in run.kubernetes_objects():
        if obj.inputs.get("kind") == "Secret" and obj.inputs["metadata"]["namespace"] == "mlflow":
            assert is_secret(obj.inputs["stringData"]), obj.name
    deployment = next(o for o in run.kubernetes_objects() if o.name == "mlflow-server-deployment")
    proxy = unwrap(deployment.inputs)["spec"]["template"]["spec"]["initContainers"][0]
    assert proxy["args"][-1] == f"{instance.inputs['project']}:{instance.inputs['region']}:{instance.inputs['name']}"
    summary = run.outputs["mlflowServer"]
    assert {k: summary[k] for k in ("uri", "store")} == {
        "uri": "http://mlflow.mlflow.svc.cluster.local:5000",
        "store": "cloud-sql",
    }
    assert summary["database"]["monthlyComputeUsd"] == (197.25 if prod else None)  # g1-small: no price in facts


def test_bootstrap_creates_the_server_and_serves_nothing_without_asking_the_registry():
    closed = f"http://127.0.0.1:{free_port()}"  # the server this `up` creates does not answer yet
    run = run_program(PROJECT_DIR, own_server_config("local", closed, bootstrap=True))
    assert any(o.name == "mlflow-server-deployment" for o in run.kubernetes_objects())
    assert not [o for o in run.kubernetes_objects() if o.inputs["metadata"].get("namespace", "").startswith("ml-")]
    assert run.outputs["models"] == {}
    (warning,) = [w for w in run.warnings if "bootstrap is on" in w]
    assert "churn-prediction" in warning and "turn bootstrap off" in warning


def test_the_first_up_of_an_empty_registry_serves_nothing_and_names_every_waiting_model(tmp_path):
    empty = start_local_mlflow(tmp_path / "empty")
    try:
        run = run_program(PROJECT_DIR, own_server_config("local", empty.uri))
    finally:
        empty.stop()
    assert run.by_type("pulumi-python:dynamic:Resource") == [] or all(
        not r.name.endswith("-version") for r in run.by_type("pulumi-python:dynamic:Resource")
    )
    assert not [o for o in run.kubernetes_objects() if o.inputs["metadata"].get("namespace", "").startswith("ml-")]
    assert any(o.name == "mlflow-server-deployment" for o in run.kubernetes_objects())
    (warning,) = [w for w in run.warnings if "first registration" in w]
    assert "churn-prediction, churn-prediction-baseline, fraud-detection" in warning
    assert run.outputs["models"] == {}


def test_a_registry_that_does_not_answer_stops_the_run_before_anything_is_registered():
    closed = f"http://127.0.0.1:{free_port()}"
    overrides = {config_key("mlflowRetries"): "0", config_key("mlflowTimeoutSeconds"): "2"}
    with pytest.raises(ProgramError) as caught:
        run_program(PROJECT_DIR, own_server_config("local", closed, overrides))
    assert isinstance(caught.value.cause, ConfigError)
    (problem,) = caught.value.cause.problems
    assert str(problem).startswith(
        "Pulumi.local.yaml: mlops-platform:mlflowServer: the stack's own registry could not be asked which models "
        f"it has yet: MLflow registry {closed}:"
    )
    assert caught.value.resources == []


def test_the_cost_line_counts_the_cloud_sql_instance_at_its_tier(mlflow_server, seeded_demo, stack_runs):
    """prod's database (two dedicated vCPUs, regional) is added to the cost line the PR comment shows, at the
    facts table's compute price; the same stack without the server costs exactly that much less."""
    with_server, without = guard_run(_run("prod", mlflow_server.uri)), guard_run(stack_runs["prod"])
    (service,) = with_server.services
    assert service.what == "Cloud SQL for PostgreSQL db-custom-2-7680 REGIONAL"
    assert service.monthly_usd == pytest.approx(monthly_compute_usd("db-custom-2-7680", "REGIONAL"))
    assert service.monthly_usd > 0
    assert with_server.monthly_usd == pytest.approx(without.monthly_usd + service.monthly_usd)
    assert any("managed service: Cloud SQL for PostgreSQL" in line for line in with_server.summary())


def test_local_with_its_own_server_renders_strictly_valid_files_with_every_secret_masked(
    mlflow_server, seeded_demo, tmp_path
):
    """The render as `ops render` writes it: every file valid, the server's Secrets masked value by value
    (the shape kept, so the schema still checks them)."""
    run = _run("local", mlflow_server.uri)
    _write(run, tmp_path)
    version = load_stack_config(PROJECT_DIR, "local").values[config_key("kubernetesVersion")]
    rendered = [yaml.safe_load(p.read_text()) for p in sorted((tmp_path / "mlflow-server").rglob("*.yaml"))]
    assert {m["kind"] for m in rendered} >= {"Deployment", "StatefulSet", "Secret", "NetworkPolicy"}
    for manifest in rendered:
        validate(manifest, version)
    secrets = {m["metadata"]["name"]: m["stringData"] for m in rendered if m["kind"] == "Secret"}
    assert secrets == {
        "mlflow-auth": {"admin-password": "[secret]", "basic_auth.ini": "[secret]", "flask-secret-key": "[secret]"},
        "mlflow-database": {"password": "[secret]"},
    }


CREDENTIALS = "mlflow-registry-credentials"


def test_the_model_pods_sign_in_as_a_reader_the_stack_creates_never_as_the_admin(mlflow_server, seeded_demo, tmp_path):
    """basic auth: the server's admin is the program's user (mlflowPassword); the pods that read the registry
    (downloads, monitors, delivery metrics) get the reader, a user the stack creates through the registry
    once the server is up, with a generated password; every credential stays a secret."""
    run = _run("local", mlflow_server.uri)  # a render: the reader is never created offline (this registry
    # has no basic-auth app: a create would have failed the run)
    (reader,) = [r for r in run.by_type("pulumi-python:dynamic:Resource") if r.name == "mlflow-server-reader"]
    assert unwrap(reader.inputs)["username"] == "model-reader" and is_secret(reader.inputs["password"])
    assert "password" in reader.options["additionalSecretOutputs"]
    server_objects = {o.urn for o in run.kubernetes_objects() if o.name.startswith("mlflow-server-")}
    assert server_objects and server_objects <= set(reader.options["dependencies"])  # created once the server is up

    auth = next(o for o in run.kubernetes_objects() if o.inputs["metadata"]["name"] == "mlflow-auth")
    assert is_secret(auth.inputs["stringData"])
    assert unwrap(auth.inputs["stringData"])["admin-password"] == ADMIN_PASSWORD

    secrets = [
        o
        for o in run.kubernetes_objects()
        if o.inputs["kind"] == "Secret" and o.inputs["metadata"]["name"].endswith(CREDENTIALS)
    ]
    served = {f"ml-{name}" for name in run.outputs["models"]}
    assert served and {s.inputs["metadata"]["namespace"] for s in secrets} >= served
    for secret in secrets:
        assert is_secret(secret.inputs["stringData"]), secret.name
        values = unwrap(secret.inputs["stringData"])
        assert set(values) == {"MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"}, secret.name
        assert values["MLFLOW_TRACKING_USERNAME"] == "model-reader"
        assert values["MLFLOW_TRACKING_PASSWORD"] != ADMIN_PASSWORD
    models = [
        o for o in run.kubernetes_objects() if o.inputs["kind"] == "Deployment" and o.name.endswith("-deployment")
    ]
    for deployment in (d for d in models if d.inputs["metadata"]["namespace"] in served):
        (download,) = unwrap(deployment.inputs)["spec"]["template"]["spec"]["initContainers"]
        refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in download["env"] if "valueFrom" in e}
        assert refs == {k: {"name": CREDENTIALS, "key": k} for k in values}, deployment.name

    assert ADMIN_PASSWORD not in json.dumps(run.outputs)
    report = guard_run(run)  # pod hardening, NetworkPolicies, secrets, resources: the server and its database too
    assert report.mandatory == [], "\n".join(str(v) for v in report.mandatory)
    _write(run, tmp_path)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert ADMIN_PASSWORD not in path.read_text(errors="replace"), path
