"""The `gitops` stack key: how model stacks reach the cluster, and the Argo CD that pulls them.

One structured key (documented in docs/gitops.md):

    mlops-platform:gitops:
      mode: gitops                 # direct | gitops; default per environment (DEFAULT_MODES)
      repoUrl: https://github.com/acme/mlops-platform.git
      branch: deploy/prod          # default deploy/<environment>: what the deploy job pushes, Argo CD pulls
      manifestsDir: deploy/manifests
      argoCd: {enabled: true, chartVersion: 10.1.1, namespace: argocd, domain: argocd.example.com}
      sso: {issuer: https://login.example.com, clientId: argocd, adminGroups: [platform-admins]}
      teams:
        customer-analytics:
          groups: [customer-analytics]
          repos:
            - {name: ml-configs, repoUrl: https://github.com/acme/ml-configs.git, path: monitoring,
               namespace: ml-configs-customer-analytics, prune: false}

Secrets (the OIDC client secret, the admin password) are never here: they are secret config keys read
by settings.pulumi_config.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Literal

from pydantic import Field, field_validator, model_validator

from core.environments import Environment
from core.problems import Invalid
from core.spec import Located, Spec, located
from facts.charts import ARGO_CD

DeliveryMode = Literal["direct", "gitops"]

# local: a kind cluster with no Git remote to pull from; dev: candidates change many times a day and
# `pulumi up` applying them directly gives the fastest feedback; staging and prod: pull-based, every
# change is a reviewed commit, drift is reverted by Argo CD, and staging rehearses exactly prod's path.
DEFAULT_MODES: dict[str, DeliveryMode] = {"local": "direct", "dev": "direct", "staging": "gitops", "prod": "gitops"}

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_REPO_URL = re.compile(r"^(https://[^/\s]+/\S+|ssh://\S+@[^/\s]+/\S+|[\w.-]+@[\w.-]+:\S+)$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_HOSTNAME = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$")
# What `git check-ref-format --branch` refuses: spaces, control characters, ~^:?*[\, "..", "@{", a leading
# '-' or '/', a trailing '/', '.' or ".lock".
_BAD_BRANCH = re.compile(r"[\s~^:?*\[\\\x00-\x1f\x7f]|\.\.|@\{|^[-/]|/$|\.$|\.lock$|//")


def _dns_label(value: str, what: str) -> str:
    if len(value) > 63 or not _DNS_LABEL.match(value):
        raise Invalid(f"{value!r} is not a valid {what}", "a lowercase DNS label, e.g. ml-configs")
    return value


def _relative_dir(value: str, root_allowed: bool = True) -> str:
    path = PurePosixPath(value)
    root = value.strip() in (".", "./")
    if path.is_absolute() or ".." in path.parts or not value.strip() or (root and not root_allowed):
        raise Invalid(f"{value!r} must be a directory inside the repository", "a relative path like deploy/manifests")
    return str(path)


def _repo_url(value: str) -> str:
    if not _REPO_URL.match(value):
        raise Invalid(f"{value!r} is not a Git repository URL", "https://host/org/repo.git or git@host:org/repo.git")
    return value


class TeamRepo(Spec):
    """One of a team's other repositories (the source's ml-configs, ml-pipelines) synced by Argo CD."""

    name: str = Field(description="Application name suffix: the Application is <team>-<name>.")
    repo_url: str
    path: str = Field(".", description="Directory inside the repository.")
    target_revision: str = "HEAD"
    namespace: str = Field(description="Destination namespace; must already exist or be created by this repo.")
    create_namespace: bool = False
    automated: bool = True
    prune: bool = Field(False, description="Delete what was removed from Git (off by default: configs keep data).")
    self_heal: bool = True

    @field_validator("name", "namespace")
    @classmethod
    def _labels(cls, value: str) -> str:
        return _dns_label(value, "name")

    @field_validator("repo_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _repo_url(value)

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        return _relative_dir(value)


class TeamSettings(Spec):
    groups: tuple[str, ...] = Field((), description="SSO groups whose members act for this team in Argo CD.")
    repos: tuple[TeamRepo, ...] = ()

    @model_validator(mode="after")
    def _unique_repo_names(self):
        names = [r.name for r in self.repos]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise Invalid(f"repos named {', '.join(duplicates)} more than once", "give each repo its own name")
        return self


class SsoSettings(Spec):
    """OIDC login for Argo CD (its own oidc.config, no Dex). The client secret is the secret config key
    argocdOidcClientSecret; with SSO on, the local admin user is disabled."""

    name: str = "SSO"
    issuer: str
    client_id: str
    requested_scopes: tuple[str, ...] = ("openid", "profile", "email", "groups")
    admin_groups: tuple[str, ...] = Field((), description="Groups granted Argo CD's built-in role:admin.")

    @field_validator("issuer")
    @classmethod
    def _https(cls, value: str) -> str:
        if not re.match(r"^https://[^/\s]+", value):
            raise Invalid(f"{value!r} is not an https issuer URL", "e.g. https://accounts.google.com")
        return value.rstrip("/")

    @field_validator("requested_scopes")
    @classmethod
    def _openid(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "openid" not in value:  # OpenID Connect Core 1.0 section 3.1.2.1: the scope MUST contain openid
            raise Invalid(f"{list(value)} has no 'openid' scope, so the provider would not log anyone in", "add openid")
        return value


class ArgoCdSettings(Spec):
    enabled: bool | None = Field(None, description="Install Argo CD; default: every environment but local.")
    chart_version: str = ARGO_CD.version
    namespace: str = "argocd"
    domain: str = "argocd.example.com"
    # Argo CD revokes sessions issued before this time; bump it when rotating argocdAdminPassword.
    admin_password_mtime: str = "2026-01-01T00:00:00Z"

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        return _dns_label(value, "namespace")

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        if len(value) > 253 or not _HOSTNAME.match(value):
            raise Invalid(f"{value!r} is not a hostname", "the host Argo CD is reached at, without scheme or path")
        return value

    @field_validator("admin_password_mtime")
    @classmethod
    def _mtime(cls, value: str) -> str:
        if not _RFC3339.match(value):
            raise Invalid(f"{value!r} is not a UTC timestamp", "e.g. 2026-01-01T00:00:00Z")
        return value


class GitopsSettings(Spec):
    mode: DeliveryMode | None = Field(None, description="direct or gitops; default per environment.")
    # The repository holding this project, which Argo CD pulls the model stacks from; required in gitops mode.
    repo_url: str = ""
    # Not main: the deploy job commits the rendered tree here (`ops publish`), so main stays reviewed
    # code only, and one environment's push never races another's.
    branch: str | None = Field(None, description="Branch Argo CD syncs and CI publishes to; default deploy/<env>.")
    manifests_dir: str = Field("deploy/manifests", description="Relative to the repository root (= project dir).")
    argo_cd: ArgoCdSettings = Field(default_factory=ArgoCdSettings)
    sso: SsoSettings | None = None
    teams: dict[str, TeamSettings] = Field(default_factory=dict)

    @field_validator("repo_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _repo_url(value) if value else value

    @field_validator("branch")
    @classmethod
    def _branch(cls, value: str | None) -> str | None:
        if value is not None and (not value or value == "HEAD" or _BAD_BRANCH.search(value)):
            raise Invalid(f"{value!r} is not a Git branch name", "a branch like deploy/prod (not HEAD, no spaces)")
        return value

    @field_validator("manifests_dir")
    @classmethod
    def _relative(cls, value: str) -> str:
        return _relative_dir(value, root_allowed=False)

    @field_validator("teams")
    @classmethod
    def _team_names(cls, value: dict[str, TeamSettings]) -> dict[str, TeamSettings]:
        for team in value:
            _dns_label(team, "team name")
        return value

    def deploy_branch(self, environment: Environment) -> str:
        return self.branch or f"deploy/{environment}"

    def delivery_mode(self, environment: Environment) -> DeliveryMode:
        return self.mode or DEFAULT_MODES[environment]

    def argo_cd_enabled(self, environment: Environment) -> bool:
        return self.argo_cd.enabled if self.argo_cd.enabled is not None else environment != "local"

    def problems(self, environment: Environment) -> list[Located]:
        """Cross-field rules that need the environment; each message carries its fix."""
        found: list[Located] = []
        if self.delivery_mode(environment) == "gitops" and not self.repo_url:
            found.append(
                located(
                    ("gitops", "repoUrl"),
                    f"mode gitops{'' if self.mode else f' (the {environment} default)'} needs the repository "
                    "Argo CD pulls the model stacks from",
                    "set gitops.repoUrl to this project's repository, e.g. https://github.com/acme/mlops-platform.git, "
                    "or mode: direct",
                )
            )
        if self.argo_cd_enabled(environment):
            return found
        if self.delivery_mode(environment) == "gitops":
            found.append(
                located(
                    ("gitops", "mode"),
                    "mode gitops needs Argo CD to pull the manifests",
                    "set argoCd.enabled: true or mode: direct",
                )
            )
        if any(team.repos for team in self.teams.values()):
            found.append(
                located(
                    ("gitops", "teams"),
                    "teams' repos are synced by Argo CD",
                    "set argoCd.enabled: true or remove the repos",
                )
            )
        return found
