"""Bad `gitops` values through the whole program: one problem each, naming the stack file, the key and the
fix, and nothing registered. Wrong types, unknown keys, an SSO login without the openid scope, gitops mode
without a repository or without Argo CD, and names, paths and hosts Argo CD or the API server reject."""

from __future__ import annotations

from tests.settings_refusals import refused_with

KEY = "Pulumi.dev.yaml: mlops-platform:gitops"
REPO = "https://github.com/acme/mlops-platform.git"


def test_wrong_types_are_all_reported_at_once():
    assert refused_with("dev", gitops={"teams": ["customer-analytics"], "argoCd": {"enabled": "yes please"}}) == [
        f"{KEY}.argoCd.enabled: 'yes please' is not true or false (fix: write true or false)",
        f"{KEY}.teams: ['customer-analytics'] is not a mapping (fix: write a mapping)",
    ]


def test_unknown_keys_get_a_did_you_mean():
    assert refused_with("dev", gitops={"repoURL": REPO}) == [
        f"{KEY}.repoURL: unknown key (fix: did you mean 'repoUrl'? remove it or use one of: argoCd, branch, "
        "manifestsDir, mode, repoUrl, sso, teams)"
    ]


def test_sso_scopes_must_include_openid():
    sso = {"issuer": "https://login.example.com", "clientId": "argocd"}
    for scopes in ([], ["profile", "email"]):
        assert refused_with("dev", gitops={"sso": {**sso, "requestedScopes": scopes}}) == [
            f"{KEY}.sso.requestedScopes: {scopes} has no 'openid' scope, so the provider would not log anyone in "
            "(fix: add openid)"
        ]


def test_gitops_mode_needs_a_repository():
    # staging defaults to gitops: a stack file without gitops.repoUrl has nothing for Argo CD to pull
    assert refused_with("staging", gitops={}) == [
        "Pulumi.staging.yaml: mlops-platform:gitops.repoUrl: mode gitops (the staging default) needs the repository "
        "Argo CD pulls the model stacks from (fix: set gitops.repoUrl to this project's repository, e.g. "
        f"{REPO}, or mode: direct)"
    ]
    assert refused_with("dev", gitops={"mode": "gitops"}) == [
        f"{KEY}.repoUrl: mode gitops needs the repository Argo CD pulls the model stacks from (fix: set "
        f"gitops.repoUrl to this project's repository, e.g. {REPO}, or mode: direct)"
    ]


def test_gitops_mode_needs_argo_cd():
    assert refused_with("dev", gitops={"mode": "gitops", "repoUrl": REPO, "argoCd": {"enabled": False}}) == [
        f"{KEY}.mode: mode gitops needs Argo CD to pull the manifests (fix: set argoCd.enabled: true or mode: direct)"
    ]


def test_values_argo_cd_or_the_api_server_would_reject():
    repo = {"name": "ml-configs", "repoUrl": "https://github.com/acme/ml-configs.git", "path": "/etc", "namespace": "n"}
    assert refused_with(
        "dev",
        gitops={
            "branch": "my branch",
            "argoCd": {"domain": "https://argocd.example.com/"},
            "teams": {"Data Science": {}, "customer-analytics": {"repos": [repo]}},
        },
    ) == [
        f"{KEY}.branch: 'my branch' is not a Git branch name (fix: a branch like deploy/prod (not HEAD, no spaces))",
        f"{KEY}.argoCd.domain: 'https://argocd.example.com/' is not a hostname (fix: the host Argo CD is reached at, "
        "without scheme or path)",
        f"{KEY}.teams.customer-analytics.repos[0].path: '/etc' must be a directory inside the repository (fix: a "
        "relative path like deploy/manifests)",
    ]
    assert refused_with("dev", gitops={"teams": {"Data Science": {}}}) == [
        f"{KEY}.teams: 'Data Science' is not a valid team name (fix: a lowercase DNS label, e.g. ml-configs)"
    ]
