"""The whole program under mocks, per stack: Argo CD installed where it should be, its Applications and
AppProjects strictly valid, and in gitops mode every model object but Namespaces and Secrets rendered to
exactly the directory its Application pulls, with no secret in any rendered file."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import bcrypt
import pytest
import yaml

from facts.charts import ARGO_CD
from ops.offline.engine import run_program
from ops.offline.program_run import ProgramRun
from ops.offline.render import _write
from ops.offline.rendered_manifests import render_file
from ops.offline.wire_values import is_secret, unwrap
from ops.stack_config import StackConfig, load_stack_config
from settings.gitops import DEFAULT_MODES
from settings.stack import config_key
from tests.conftest import PROJECT_DIR, STACKS, registry_overrides
from tests.runs import charts_by_name, cluster_provider
from tests.schemas import validate

GITOPS_STACKS = [s for s in STACKS if DEFAULT_MODES[s] == "gitops"]
DIRECT_STACKS = [s for s in STACKS if DEFAULT_MODES[s] == "direct"]
CHART_TYPE = "kubernetes:helm.sh/v4:Chart"
PULUMI_OWNED = {"Namespace", "Secret"}


def _model_of(run: ProgramRun, resource) -> str | None:
    """The model whose ModelServing or ModelDelivery component a resource descends from, if any."""
    by_urn = {r.urn: r for r in run.resources}
    current = resource
    while current.parent in by_urn:
        current = by_urn[current.parent]
        if current.type == "mlops:serving:ModelServing":
            return current.name
        if current.type == "mlops:delivery:ModelDelivery":
            return current.name.removesuffix("-delivery")
    return None


def _model_objects(run: ProgramRun) -> list[tuple[str, object]]:
    return [(m, r) for r in run.kubernetes_objects() if (m := _model_of(run, r)) is not None]


def _applications(run: ProgramRun, kind: str = "Application") -> list[dict]:
    return [unwrap(r.inputs) for r in run.kubernetes_objects() if r.inputs["kind"] == kind]


def _model_applications(run: ProgramRun) -> list[dict]:
    return [a for a in _applications(run) if "mlops.platform/model" in a["metadata"]["labels"]]


@pytest.mark.parametrize("stack", STACKS)
def test_argo_cd_is_installed_off_local_and_its_objects_are_valid_and_wait_for_its_crds(stack_runs, stack):
    run = stack_runs[stack]
    version = load_stack_config(PROJECT_DIR, stack).values[config_key("kubernetesVersion")]
    argo_objects = [r for r in run.kubernetes_objects() if r.inputs["kind"] in ("Application", "AppProject")]
    chart = charts_by_name(run).get(ARGO_CD.chart)
    if stack == "local":
        assert chart is None and argo_objects == []
        return
    assert chart is not None
    assert (chart.inputs["chart"], chart.inputs["version"]) == (ARGO_CD.chart, ARGO_CD.version)
    assert chart.inputs["repositoryOpts"]["repo"] == ARGO_CD.repository
    assert chart.options["provider"].startswith(cluster_provider(run).urn + "::")
    for resource in argo_objects:
        validate(unwrap(resource.inputs), version)
        assert chart.urn in resource.options["dependencies"], resource.name  # CRDs first
    teams = {unwrap(r.inputs)["metadata"]["labels"]["mlops.platform/team"] for r in _model_objects(run) for r in [r[1]]}
    assert {p["metadata"]["name"] for p in _applications(run, "AppProject")} == teams


@pytest.mark.parametrize("stack", STACKS)
def test_crds_get_server_side_apply_from_every_provider(stack_runs, stack):
    for provider in stack_runs[stack].by_type("pulumi:providers:kubernetes"):
        assert provider.inputs["enableServerSideApply"] in (True, "true"), provider.name


@pytest.mark.parametrize("stack", GITOPS_STACKS)
def test_in_gitops_mode_only_namespaces_and_secrets_reach_the_cluster_directly(stack_runs, stack):
    run = stack_runs[stack]
    cluster = cluster_provider(run).urn + "::"
    objects = _model_objects(run)
    # Serving and progressive delivery alike (the apex Service is Flagger's, generated in the cluster).
    assert {r.inputs["kind"] for _, r in objects} >= {"Namespace", "Deployment", "Canary", "MetricTemplate"}
    for model, resource in objects:
        if resource.inputs["kind"] in PULUMI_OWNED:
            assert resource.options["provider"].startswith(cluster), resource.name
            assert run.render_directory(resource) is None
        else:
            assert run.render_directory(resource) == f"deploy/manifests/{stack}/{model}", resource.name


@pytest.mark.parametrize("stack", DIRECT_STACKS)
def test_in_direct_mode_pulumi_applies_every_model_object(stack_runs, stack):
    run = stack_runs[stack]
    cluster = cluster_provider(run).urn + "::"
    assert len(run.by_type("pulumi:providers:kubernetes")) == 1
    assert all(r.options["provider"].startswith(cluster) for _, r in _model_objects(run))
    assert _model_applications(run) == []


@pytest.mark.parametrize("stack", GITOPS_STACKS)
def test_each_application_pulls_exactly_what_its_model_renders(stack_runs, stack):
    run = stack_runs[stack]
    rendered: dict[str, list[dict]] = {}
    for resource in run.kubernetes_objects():
        directory = run.render_directory(resource)
        if directory is not None:
            rendered.setdefault(directory, []).append(unwrap(resource.inputs))
    applications = {a["spec"]["source"]["path"]: a for a in _model_applications(run)}
    assert set(rendered) == set(applications)
    for path, objects in rendered.items():
        spec = applications[path]["spec"]
        assert spec["source"]["repoURL"] == "https://github.com/acme/mlops-platform.git"
        assert {o["metadata"]["namespace"] for o in objects} == {spec["destination"]["namespace"]}
        kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
        for ignored in spec["ignoreDifferences"]:
            if "name" in ignored:  # Flagger-owned fields of objects this directory really holds
                assert (ignored["kind"], ignored["name"]) in kinds, ignored
        assert "RespectIgnoreDifferences=true" in spec["syncPolicy"]["syncOptions"]
        assert spec["syncPolicy"]["automated"]["prune"] and spec["syncPolicy"]["automated"]["selfHeal"]


def test_prod_syncs_the_team_repositories_with_their_own_policies(stack_runs):
    repos = {a["metadata"]["name"]: a["spec"] for a in _applications(stack_runs["prod"])}
    configs, pipelines = repos["customer-analytics-ml-configs"], repos["customer-analytics-ml-pipelines"]
    assert configs["source"]["repoURL"] == "https://github.com/acme/ml-configs.git"
    assert configs["syncPolicy"]["automated"] == {"prune": False, "selfHeal": True, "allowEmpty": False}
    assert "automated" not in pipelines["syncPolicy"]
    (project,) = [
        p for p in _applications(stack_runs["prod"], "AppProject") if p["metadata"]["name"] == "customer-analytics"
    ]
    assert set(project["spec"]["sourceRepos"]) == {
        "https://github.com/acme/mlops-platform.git",
        "https://github.com/acme/ml-configs.git",
        "https://github.com/acme/ml-pipelines.git",
    }


def test_prod_argo_cd_is_highly_available_and_staging_is_not(stack_runs):
    prod = unwrap(charts_by_name(stack_runs["prod"])[ARGO_CD.chart].inputs["values"])
    staging = unwrap(charts_by_name(stack_runs["staging"])[ARGO_CD.chart].inputs["values"])
    assert prod["redis-ha"]["enabled"] is True and "redis-ha" not in staging


@pytest.fixture(scope="module")
def staging_with_secrets(mlflow_server, seeded_demo) -> ProgramRun:
    """staging (gitops) with a registry token and an Argo CD admin password set as secrets."""
    config = load_stack_config(PROJECT_DIR, "staging", overrides=registry_overrides(mlflow_server.uri))
    secrets = {config_key("mlflowToken"): "tok-4f2a91", config_key("argocdAdminPassword"): "pw-9c1e77"}
    config = StackConfig(config.stack, {**config.values, **secrets}, secret_keys=(*config.secret_keys, *secrets))
    return run_program(PROJECT_DIR, config)


def test_offline_render_writes_the_provider_layout_with_the_same_objects(staging_with_secrets, tmp_path):
    run = staging_with_secrets
    _write(run, tmp_path)
    expected = {
        PurePosixPath(run.render_directory(r)) / render_file(unwrap(r.inputs)): unwrap(r.inputs)
        for r in run.kubernetes_objects()
        if run.render_directory(r) is not None
    }
    files = {
        PurePosixPath(p.relative_to(tmp_path).as_posix()): yaml.safe_load(p.read_text())
        for p in (tmp_path / "deploy" / "manifests").rglob("*")
        if p.is_file()
    }
    assert files == expected
    assert {str(p.parent.parent) for p in files} == {a["spec"]["source"]["path"] for a in _model_applications(run)}
    assert all(p.parent.name == "1-manifest" for p in files)


def test_no_rendered_file_holds_a_secret_and_secrets_stay_with_pulumi(staging_with_secrets, tmp_path):
    run = staging_with_secrets
    _write(run, tmp_path)
    manifests = [p for p in (tmp_path / "deploy" / "manifests").rglob("*.yaml")]
    assert manifests
    for path in manifests:
        text = path.read_text()
        assert yaml.safe_load(text)["kind"] != "Secret", path
        for leaked in ("tok-4f2a91", "pw-9c1e77", "[secret]"):
            assert leaked not in text, path
    for path in Path(tmp_path).rglob("*"):
        if path.is_file():
            assert "tok-4f2a91" not in path.read_text() and "pw-9c1e77" not in path.read_text(), path
    secrets = [r for r in run.kubernetes_objects() if r.inputs["kind"] == "Secret"]
    assert {s.inputs["metadata"]["name"] for s in secrets} == {
        "mlflow-registry-credentials",
        "argocd-redis",
        "delivery-metrics-mlflow-registry-credentials",
    }
    cluster = cluster_provider(run).urn + "::"
    assert all(s.options["provider"].startswith(cluster) for s in secrets)


def test_admin_password_reaches_argo_cd_only_as_a_secret_bcrypt_hash(staging_with_secrets):
    run = staging_with_secrets
    chart = charts_by_name(run)[ARGO_CD.chart]
    assert is_secret(chart.inputs["values"])  # a secret anywhere in the values makes them all secret in state
    stored = unwrap(chart.inputs["values"])["configs"]["secret"]["argocdServerAdminPassword"]
    assert bcrypt.checkpw(b"pw-9c1e77", stored.encode())
    assert not [r.name for r in run.resources if "pw-9c1e77" in str(unwrap(r.inputs))]
    assert unwrap(chart.inputs["values"])["configs"]["cm"]["admin.enabled"] is True
