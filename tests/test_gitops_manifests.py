"""Gitops settings, plan and the pure Application/AppProject builders: strictly valid, with the sync
policies, Flagger-owned fields and least-privilege projects they promise."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from catalogue.loader import load_catalogue
from core.problems import ConfigError
from manifests.gitops.applications import model_application, team_repo_application
from manifests.gitops.flagger_owned import FLAGGER_OWNED
from manifests.gitops.projects import team_project
from ops.offline.mocks import ProgramMocks
from ops.stack_config import load_stack_config
from plan.gitops import IN_CLUSTER, gitops_plan
from plan.serving import select_models
from settings.pulumi_config import read_stack_settings
from settings.stack import PROJECT
from tests.schemas import validate
from tests.test_stack_settings import LOCAL, problems, read

PROJECT_DIR = Path(__file__).resolve().parent.parent
CATALOGUE = load_catalogue(PROJECT_DIR / "models")
REPOS = {
    "customer-analytics": {
        "groups": ["ca-engineers"],
        "repos": [
            {
                "name": "ml-configs",
                "repoUrl": "https://github.com/acme/ml-configs.git",
                "path": "monitoring",
                "namespace": "ml-configs",
                "createNamespace": True,
            },
            {
                "name": "ml-pipelines",
                "repoUrl": "git@github.com:acme/ml-pipelines.git",
                "path": "training-pipelines",
                "namespace": "kubeflow",
                "automated": False,
            },
        ],
    }
}


# gitops.repoUrl has no default: a stack in gitops mode names the repository Argo CD pulls from.
PROJECT_REPO = "https://github.com/acme/mlops-platform.git"


def real_stack(stack: str, extra: dict[str, str] | None = None):
    config = load_stack_config(PROJECT_DIR, stack, overrides=extra)
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    pulumi.runtime.set_mocks(ProgramMocks(config, preview=True), project=PROJECT, stack=stack, preview=True)
    return read_stack_settings().stack


def plan_for(stack: str, gitops: str | None = None):
    settings = real_stack(stack, {f"{PROJECT}:gitops": gitops} if gitops else None)
    return gitops_plan(settings, select_models(settings, CATALOGUE), CATALOGUE)


@pytest.mark.parametrize(
    "stack, mode, argo",
    [("local", "direct", False), ("dev", "direct", True), ("staging", "gitops", True), ("prod", "gitops", True)],
)
def test_default_delivery_mode_and_argo_cd_per_environment(stack, mode, argo):
    plan = plan_for(stack)
    assert plan.mode == mode
    assert (plan.argo_cd is not None) is argo
    assert bool(plan.apps) is (mode == "gitops")


def test_gitops_plan_points_each_model_at_its_own_directory_and_team_project():
    plan = plan_for("prod")
    by_model = {a.model: a for a in plan.apps}
    assert by_model["churn-prediction"].path == "deploy/manifests/prod/churn-prediction"
    assert by_model["churn-prediction"].namespace == "ml-churn-prediction"
    assert {p.team for p in plan.projects} == {m.team for m in CATALOGUE.models}
    for project in plan.projects:
        models = {a.namespace for a in plan.apps if a.team == project.team}
        assert project.namespaces == tuple(sorted(models | {r.namespace for r in project.repos}))
        assert project.source_repos == tuple(
            sorted({"https://github.com/acme/mlops-platform.git", *(r.repo_url for r in project.repos)})
        )
    # Pulumi.prod.yaml gives customer-analytics its ml-configs and ml-pipelines repositories.
    (analytics,) = [p for p in plan.projects if p.team == "customer-analytics"]
    assert [r.name for r in analytics.repos] == ["ml-configs", "ml-pipelines"]


def test_every_application_and_project_is_strictly_valid():
    import json

    plan = plan_for("prod", json.dumps({"repoUrl": PROJECT_REPO, "teams": REPOS}))
    objects = [team_project(p, "argocd") for p in plan.projects]
    objects += [model_application(a, plan.repo_url, plan.branch, "argocd") for a in plan.apps]
    objects += [team_repo_application(p.team, r, "argocd") for p in plan.projects for r in p.repos]
    # a project per team, an application per served model, one per team repository
    assert len(objects) == len(plan.projects) + len(plan.apps) + sum(len(p.repos) for p in plan.projects)
    assert len(plan.apps) == len(CATALOGUE.for_environment("prod")) and sum(len(p.repos) for p in plan.projects) == 2
    for manifest in objects:
        validate(manifest, "1.33")


def test_model_application_syncs_automatically_and_leaves_flagger_its_fields():
    app = plan_for("staging").apps[0]
    spec = model_application(app, "https://github.com/acme/mlops-platform.git", "main", "argocd")["spec"]
    assert spec["source"] == {
        "repoURL": "https://github.com/acme/mlops-platform.git",
        "targetRevision": "main",
        "path": app.path,
        "directory": {"recurse": True},
    }
    assert spec["destination"] == {"server": IN_CLUSTER, "namespace": app.namespace}
    policy = spec["syncPolicy"]
    assert policy["automated"] == {"prune": True, "selfHeal": True, "allowEmpty": False}
    assert policy["retry"]["limit"] > 0 and policy["retry"]["backoff"]["factor"] == 2
    assert "RespectIgnoreDifferences=true" in policy["syncOptions"]
    ignored = {(d["group"], d["kind"], d.get("name")): d for d in spec["ignoreDifferences"]}
    assert ignored[("apps", "Deployment", app.deployment)]["jsonPointers"] == ["/spec/replicas"]
    # Flagger's own Service and HTTPRoute carry an ownerReference to the Canary: Argo CD leaves them alone,
    # and an HTTPRoute entry would hide the fallback switch's route from the sync.
    assert not any(kind in ("Service", "HTTPRoute") for _, kind, _ in ignored)
    assert len(ignored) == len(FLAGGER_OWNED)


def test_team_repositories_keep_the_sync_policy_the_stack_gives_them():
    import json

    plan = plan_for("dev", json.dumps({"teams": REPOS}))
    (project,) = [p for p in plan.projects if p.team == "customer-analytics"]
    configs, pipelines = (team_repo_application(project.team, r, "argocd") for r in project.repos)
    assert configs["metadata"]["name"] == "customer-analytics-ml-configs"
    assert configs["spec"]["syncPolicy"]["automated"] == {"prune": False, "selfHeal": True, "allowEmpty": False}
    assert configs["spec"]["syncPolicy"]["syncOptions"] == ["CreateNamespace=true"]
    assert "automated" not in pipelines["spec"]["syncPolicy"]  # manual sync
    assert pipelines["spec"]["source"]["repoURL"] == "git@github.com:acme/ml-pipelines.git"
    # dev is direct: the project holds the team's repositories only, not the platform's manifests.
    assert project.source_repos == ("git@github.com:acme/ml-pipelines.git", "https://github.com/acme/ml-configs.git")
    assert project.namespaces == ("kubeflow", "ml-configs")


def test_projects_grant_no_cluster_kind_beyond_need_and_never_secrets():
    import json

    plan = plan_for("prod", json.dumps({"repoUrl": PROJECT_REPO, "teams": REPOS}))
    projects = {p.team: team_project(p, "argocd")["spec"] for p in plan.projects}
    with_repos = projects.pop("customer-analytics")
    assert with_repos["clusterResourceWhitelist"] == [{"group": "", "kind": "Namespace"}]  # createNamespace
    (role,) = with_repos["roles"]
    assert role["groups"] == ["ca-engineers"]
    assert all(p.startswith("p, proj:customer-analytics:team, ") for p in role["policies"])
    assert not [p for p in role["policies"] if ", update" in p or ", delete" in p or ", *," in p]
    for spec in [with_repos, *projects.values()]:
        assert spec["namespaceResourceBlacklist"] == [{"group": "", "kind": "Secret"}]
    for spec in projects.values():
        assert spec["clusterResourceWhitelist"] == []
        assert "roles" not in spec  # no SSO groups configured for these teams


def test_unknown_team_is_reported_with_the_catalogue_teams():
    import json

    settings = real_stack(
        "prod", {f"{PROJECT}:gitops": json.dumps({"repoUrl": PROJECT_REPO, "teams": {"data-science": {}}})}
    )
    with pytest.raises(ConfigError) as caught:
        gitops_plan(settings, select_models(settings, CATALOGUE), CATALOGUE)
    (problem,) = [str(p) for p in caught.value.problems]
    assert problem.startswith(
        "Pulumi.prod.yaml: mlops-platform:gitops.teams.data-science: team 'data-science' owns no model"
    )
    assert "customer-analytics" in problem


def test_gitops_settings_problems_name_key_and_fix(tmp_path):
    found = problems(
        tmp_path,
        "local",
        LOCAL
        | {
            f"{PROJECT}:gitops": {
                "mode": "gitops",
                "manifestDir": "x",
                "repoUrl": "github.com/acme",
                "argoCd": {"enabled": False},
            }
        },
    )
    assert any("mlops-platform:gitops.manifestDir: unknown key (fix: did you mean 'manifestsDir'?" in p for p in found)
    assert any("mlops-platform:gitops.repoUrl: 'github.com/acme' is not a Git repository URL" in p for p in found)
    (found_mode,) = problems(
        tmp_path, "local", LOCAL | {f"{PROJECT}:gitops": {"mode": "gitops", "repoUrl": PROJECT_REPO}}
    )
    assert found_mode == (
        "Pulumi.local.yaml: mlops-platform:gitops.mode: mode gitops needs Argo CD to pull the manifests "
        "(fix: set argoCd.enabled: true or mode: direct)"
    )
    (absolute,) = problems(tmp_path, "local", LOCAL | {f"{PROJECT}:gitops": {"manifestsDir": "/srv/manifests"}})
    assert "mlops-platform:gitops.manifestsDir: '/srv/manifests' must be a directory inside the repository" in absolute


def test_sso_without_its_client_secret_is_refused(tmp_path):
    sso = {f"{PROJECT}:gitops": {"sso": {"issuer": "https://login.example.com", "clientId": "argocd"}}}
    (problem,) = problems(tmp_path, "local", LOCAL | sso)
    assert problem == (
        "Pulumi.local.yaml: mlops-platform:gitops.sso: SSO is configured but mlops-platform:argocdOidcClientSecret "
        "is not set (fix: run `pulumi config set --secret argocdOidcClientSecret <client secret>` or remove gitops.sso)"
    )
    loaded = read(tmp_path, "local", LOCAL | sso | {f"{PROJECT}:argocdOidcClientSecret": {"secure": "v1:x"}})
    assert isinstance(loaded.argocd_oidc_client_secret, pulumi.Output)
    (plain,) = problems(tmp_path, "local", LOCAL | {f"{PROJECT}:argocdAdminPassword": "hunter2"})
    assert "mlops-platform:argocdAdminPassword: is stored in plain text" in plain and "hunter2" not in plain
