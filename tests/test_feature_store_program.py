"""The whole program per stack with the feature store turned on and churn-prediction reading a feature
service: every object is strictly valid with secrets masked, no secret reaches a rendered file, the reading
model (and only it) gets the FEAST_* configuration and the network path, the online store is Memorystore
with AUTH and TLS on GKE stacks and an in-cluster Redis on local, and the guardrails and the policy pack
see the new objects and pass them. Off (the stack files as they are), nothing of it exists."""

from __future__ import annotations

import copy
import shutil
from types import SimpleNamespace

import pytest
import yaml

from facts import feast
from guardrails.evaluate import check_resource
from guardrails.rule import context_from_subjects
from guardrails.rule_set import RULES
from guardrails.subject import Subject
from ops.offline.engine import run_program
from ops.offline.guardrail_gate import guard_run
from ops.offline.program_run import ProgramRun
from ops.offline.render import _write
from ops.stack_config import load_stack_config
from plan.feature_store import PASSWORD_SECRET
from policy.adapter import stack_reports
from settings.stack import config_key
from tests.conftest import PROJECT_DIR, STACKS, registry_overrides
from tests.schemas import validate
from tests.settings_refusals import refused_with

READER = "churn-prediction"
SERVICE, ENTITY = "churn_features_v1", "customer_id"
NAMESPACE = "feature-store"
REDIS_INSTANCE = "gcp:redis/instance:Instance"


@pytest.fixture(scope="module")
def catalogue_with_features(tmp_path_factory):
    """models/ with churn-prediction declaring the feature service it reads."""
    directory = tmp_path_factory.mktemp("features") / "models"
    shutil.copytree(PROJECT_DIR / "models", directory)
    entry = directory / f"{READER}.yaml"
    entry.write_text(entry.read_text() + f"features:\n  service: {SERVICE}\n  entityKey: {ENTITY}\n")
    return directory


@pytest.fixture(scope="module")
def feature_runs(mlflow_server, seeded_demo, catalogue_with_features) -> dict[str, ProgramRun]:
    runs = {}
    for stack in STACKS:
        overrides = {
            **registry_overrides(mlflow_server.uri),
            config_key("modelsDir"): str(catalogue_with_features),
            config_key("featureStore"): '{"enabled": true}',
        }
        runs[stack] = run_program(PROJECT_DIR, load_stack_config(PROJECT_DIR, stack, overrides=overrides))
    return runs


def _objects(run: ProgramRun, namespace: str | None = None) -> list[dict]:
    return [
        r.inputs
        for r in run.kubernetes_objects()
        if namespace is None or r.inputs.get("metadata", {}).get("namespace") == namespace
    ]


def _one(objects: list[dict], kind: str, name: str) -> dict:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_every_rendered_object_is_strictly_valid_and_no_secret_reaches_a_file(feature_runs, stack, tmp_path):
    run = feature_runs[stack]
    _write(run, tmp_path)
    version = load_stack_config(PROJECT_DIR, stack).values[config_key("kubernetesVersion")]
    files = sorted(p for p in tmp_path.rglob("*.yaml"))
    store_files = [p for p in files if yaml.safe_load(p.read_text())["metadata"].get("namespace") == NAMESPACE]
    kinds = sorted({yaml.safe_load(p.read_text())["kind"] for p in store_files})
    expected = {
        "ConfigMap",
        "Deployment",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Secret",
        "Service",
        "ServiceAccount",
    }
    assert expected <= set(kinds), kinds
    for path in files:
        manifest = yaml.safe_load(path.read_text())
        try:
            validate(manifest, version)
        except Exception as error:
            raise AssertionError(f"{stack}: {path.relative_to(tmp_path)}: {error}") from None
        text = path.read_text()
        assert "known-after-apply" not in text and "x" * 32 not in text, f"{path}: a Redis password was written"
    (secret,) = [m for m in map(lambda p: yaml.safe_load(p.read_text()), store_files) if m["kind"] == "Secret"]
    assert secret["metadata"]["name"] == PASSWORD_SECRET
    assert secret["stringData"] == {feast.PASSWORD_ENV: "[secret]"}


@pytest.mark.parametrize("stack", STACKS)
def test_only_the_reading_model_gets_the_configuration_and_the_network_path(feature_runs, stack):
    objects = _objects(feature_runs[stack])
    servers = {
        o["metadata"]["name"]: o
        for o in objects
        if o["kind"] == "Deployment" and o["metadata"]["labels"].get("app.kubernetes.io/component") == "model-server"
    }
    assert READER in servers
    for name, deployment in servers.items():
        env = {e["name"]: e.get("value") for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        feast_env = {k: v for k, v in env.items() if k.startswith("FEAST_")}
        if name == READER:
            assert feast_env == {
                "FEAST_FEATURE_SERVER_URL": f"http://feast-server.{NAMESPACE}.svc.cluster.local:{feast.SERVER_PORT}",
                "FEAST_FEATURE_SERVICE": SERVICE,
                "FEAST_ENTITY_KEY": ENTITY,
            }
        else:
            assert feast_env == {}, name
    store = _objects(feature_runs[stack], NAMESPACE)
    readers = _one(store, "NetworkPolicy", "allow-feature-readers")["spec"]
    reader_ns = servers[READER]["metadata"]["namespace"]
    assert readers["ingress"] == [
        {
            "from": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": reader_ns}},
                    "podSelector": {"matchLabels": {"mlops.platform/model": READER}},
                }
            ],
            "ports": [{"protocol": "TCP", "port": feast.SERVER_PORT}],
        }
    ]
    deny = _one(store, "NetworkPolicy", "default-deny")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert feature_runs[stack].outputs["featureStore"] == {
        "url": f"http://feast-server.{NAMESPACE}.svc.cluster.local:{feast.SERVER_PORT}",
        "readers": {READER: SERVICE},
    }


@pytest.mark.parametrize("stack", STACKS)
def test_the_online_store_per_stack_kind(feature_runs, stack):
    run = feature_runs[stack]
    store = _objects(run, NAMESPACE)
    config_text = _one(store, "ConfigMap", "feast-config")["data"][feast.CONFIG_FILE]
    config = yaml.safe_load(config_text)
    assert "${REDIS_PASSWORD}" in config["online_store"]["connection_string"]
    server = _one(store, "Deployment", "feast-server")["spec"]["template"]["spec"]["containers"][0]
    assert server["image"] == feast.IMAGE
    assert server["command"] == feast.serve_command("/etc/feast/feature_store.yaml")
    assert {
        "name": "REDIS_PASSWORD",
        "valueFrom": {"secretKeyRef": {"name": PASSWORD_SECRET, "key": "REDIS_PASSWORD"}},
    } in server["env"]
    instances = run.by_type(REDIS_INSTANCE)
    if stack == "local":
        assert instances == []
        assert config["registry"]["path"] == "/var/lib/feast/registry.db"
        assert config["online_store"]["connection_string"].startswith(f"redis.{NAMESPACE}.svc.cluster.local:6379,")
        redis = _one(store, "Deployment", "redis")["spec"]["template"]["spec"]["containers"][0]
        assert redis["image"] == feast.LOCAL_REDIS_IMAGE and "$(REDIS_PASSWORD)" in redis["command"]
        return
    (instance,) = instances
    inputs = instance.inputs
    tier, size = ("STANDARD_HA", 5) if stack == "prod" else ("BASIC", 1)
    assert (inputs["tier"], inputs["memorySizeGb"]) == (tier, size)
    assert inputs["authEnabled"] is True and inputs["transitEncryptionMode"] == "SERVER_AUTHENTICATION"
    assert inputs["connectMode"] == "DIRECT_PEERING" and inputs["authorizedNetwork"].endswith(
        "/networks/" + ("ml-vpc" if stack == "prod" else "default")
    )
    assert instance.options.get("protect", False) is (stack == "prod")
    assert config["registry"]["path"].startswith("gs://") and config["registry"]["path"].endswith("/feast/registry.db")
    assert ",ssl=true,ssl_ca_certs=/etc/feast-redis-ca/server-ca.pem," in config["online_store"]["connection_string"]
    grants = {
        r.inputs["role"]: r.inputs.get("condition", {}).get("expression")
        for r in run.by_type("gcp:storage/bucketIAMMember:BucketIAMMember")
        if "feature-store" in r.urn
    }
    bucket = config["registry"]["path"].split("/")[2]
    assert grants == {
        "roles/storage.legacyBucketReader": None,
        "roles/storage.objectUser": f'resource.name.startsWith("projects/_/buckets/{bucket}/objects/feast/")',
    }
    account = _one(store, "ServiceAccount", "feast-server")
    assert account["metadata"]["annotations"]["iam.gke.io/gcp-service-account"].startswith("feast-")


@pytest.mark.parametrize("stack", STACKS)
def test_the_guardrails_and_the_policy_pack_cover_the_new_objects(feature_runs, stack):
    run = feature_runs[stack]
    report = guard_run(run)
    assert report.mandatory == [], "\n".join(str(v) for v in report.mandatory)
    assert not [v for v in report.violations if v.rule == "gcp-cost-labels"]
    subjects = [Subject(r.type, r.name, r.inputs, r.urn) for r in run.resources]
    store = [s for s in subjects if s.namespace == NAMESPACE or s.type == REDIS_INSTANCE]
    assert {s.kind for s in store if s.pod_spec is not None} == {"Deployment"}
    # The pack runs the same rules over the same resources: none reports a feature store object.
    resources = [SimpleNamespace(resource_type=s.type, props=s.plain, urn=s.urn, name=s.name) for s in subjects]
    store_urns = {s.urn for s in store}
    for rule in RULES:
        for message, urn in stack_reports(rule, "mandatory", resources):
            assert urn not in store_urns, message
    # And they would: the feature server with a writable root filesystem, or Memorystore without cost labels.
    server = next(s for s in store if s.kind == "Deployment" and s.k8s_name == "feast-server")
    broken = copy.deepcopy(server.plain)
    broken["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"] = False
    context = context_from_subjects(subjects)
    before = {v.rule for v in check_resource(server, context)}
    after = {v.rule for v in check_resource(Subject(server.type, server.name, broken, server.urn), context)}
    assert after - before == {"container-security"}
    if stack != "local":
        (instance,) = [s for s in store if s.type == REDIS_INSTANCE]
        assert {"team", "cost-centre"} <= set(instance.plain["labels"])
        unlabelled = Subject(instance.type, instance.name, {**instance.plain, "labels": {}}, instance.urn)
        assert [v.rule for v in check_resource(unlabelled, context)] == ["gcp-cost-labels"]


def test_off_by_default_nothing_is_registered(stack_runs):
    for stack, run in stack_runs.items():
        assert [r.urn for r in run.resources if "mlops:data:" in r.type] == [], stack
        assert run.by_type(REDIS_INSTANCE) == []


def test_a_model_reading_features_on_a_stack_without_the_store_is_refused(catalogue_with_features):
    entry = f"{catalogue_with_features}/{READER}.yaml"
    assert refused_with("dev", modelsDir=str(catalogue_with_features)) == [
        f"{entry}: features: model '{READER}' reads feature service '{SERVICE}', but stack 'dev' has no feature "
        f"store (fix: set mlops-platform:featureStore: {{enabled: true}} in Pulumi.dev.yaml, or remove features "
        f"from {entry})"
    ]


def test_the_cost_line_counts_memorystore_at_its_tier_and_size(feature_runs, stack_runs):
    """prod's Memorystore (STANDARD_HA, 5 GB) is added to the GPU ceiling the PR comment shows, at the
    facts table's price; the same stack without the store costs exactly that much less."""
    with_store, without = guard_run(feature_runs["prod"]), guard_run(stack_runs["prod"])
    (service,) = with_store.services
    assert service.what == "Memorystore for Redis STANDARD_HA 5 GB"
    assert service.monthly_usd == pytest.approx(feast.redis_monthly_usd("STANDARD_HA", 5))
    assert with_store.monthly_usd == pytest.approx(without.monthly_usd + service.monthly_usd)
    assert any("managed service: Memorystore for Redis STANDARD_HA 5 GB" in line for line in with_store.summary())
    assert without.services == ()
