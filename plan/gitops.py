"""What Argo CD syncs for one stack, decided once from settings and the catalogue.

Ownership is the rule everything here follows (one owner per object): Pulumi owns Argo CD itself, the
AppProjects, the Applications, every model Namespace and every Secret; in gitops mode Argo CD owns the
rest of each model's objects, rendered to `<manifestsDir>/<environment>/<model>/` and committed by CI
(`python -m ops publish`) to the deploy branch the Applications pull.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from catalogue.loader import Catalogue
from catalogue.schema import ModelSpec
from core.problems import ProblemCollector
from settings.gitops import ArgoCdSettings, DeliveryMode, SsoSettings, TeamRepo
from settings.stack import StackSettings, config_key

IN_CLUSTER = "https://kubernetes.default.svc"  # Argo CD's name for the cluster it runs in


@dataclass(frozen=True)
class ModelApp:
    """One model's Application: its rendered directory and the objects Flagger takes over."""

    model: str
    team: str
    namespace: str
    path: str  # <manifestsDir>/<environment>/<model>, relative to the repository root
    deployment: str  # the Canary's target Deployment


@dataclass(frozen=True)
class TeamProject:
    team: str
    groups: tuple[str, ...]
    namespaces: tuple[str, ...]  # model namespaces and the team repos' destinations, nothing else
    source_repos: tuple[str, ...]
    repos: tuple[TeamRepo, ...]


@dataclass(frozen=True)
class GitopsPlan:
    environment: str
    mode: DeliveryMode
    argo_cd: ArgoCdSettings | None  # None: Argo CD is not installed on this stack
    sso: SsoSettings | None
    production: bool
    repo_url: str
    branch: str  # the deploy branch: Argo CD's targetRevision, where `ops publish` commits
    apps: tuple[ModelApp, ...]  # empty in direct mode
    projects: tuple[TeamProject, ...]


def manifests_path(manifests_dir: str, environment: str, model: str) -> str:
    """The directory a model's objects are rendered to; the render provider and the Application share it."""
    return str(PurePosixPath(manifests_dir) / environment / model)


def gitops_plan(settings: StackSettings, models: tuple[ModelSpec, ...], catalogue: Catalogue) -> GitopsPlan:
    gitops = settings.gitops
    problems = ProblemCollector()
    known_teams = {m.team for m in catalogue.models}
    for team in sorted(set(gitops.teams) - known_teams):
        problems.add(
            f"Pulumi.{settings.stack}.yaml",
            f"{config_key('gitops')}.teams.{team}",
            f"team {team!r} owns no model in the catalogue",
            f"use one of the catalogue's teams ({', '.join(sorted(known_teams))}) or remove it",
        )
    problems.raise_if_any()

    mode = gitops.delivery_mode(settings.environment)
    enabled = gitops.argo_cd_enabled(settings.environment)
    apps = tuple(
        ModelApp(
            model=m.name,
            team=m.team,
            namespace=settings.namespace_for(m.name),
            path=manifests_path(gitops.manifests_dir, settings.environment, m.name),
            deployment=m.name,
        )
        for m in models
        if mode == "gitops"
    )
    projects = []
    if enabled:
        for team in sorted({m.team for m in models} | set(gitops.teams)):
            team_settings = gitops.teams.get(team)
            repos = team_settings.repos if team_settings else ()
            model_namespaces = [a.namespace for a in apps if a.team == team]
            projects.append(
                TeamProject(
                    team=team,
                    groups=team_settings.groups if team_settings else (),
                    namespaces=tuple(sorted({*model_namespaces, *(r.namespace for r in repos)})),
                    source_repos=tuple(
                        sorted({*([gitops.repo_url] if model_namespaces else []), *(r.repo_url for r in repos)})
                    ),
                    repos=repos,
                )
            )
    return GitopsPlan(
        environment=settings.environment,
        mode=mode,
        argo_cd=gitops.argo_cd if enabled else None,
        sso=gitops.sso,
        production=settings.production,
        repo_url=gitops.repo_url,
        branch=gitops.deploy_branch(settings.environment),
        apps=apps,
        projects=tuple(projects),
    )
