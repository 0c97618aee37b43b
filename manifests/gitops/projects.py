"""One Argo CD AppProject (argoproj.io/v1alpha1) per team: the repositories it may pull from, the
namespaces it may deploy to, and what its SSO groups may do.

Least privilege: no cluster-scoped kind at all (model Namespaces are Pulumi's), except Namespace when
one of the team's repositories asks Argo CD to create its destination; Secrets are refused in every
project, so a Secret committed to Git by mistake fails the sync instead of reaching the cluster.
Team members may read, sync and run resource actions, but not edit or delete Applications, which
Pulumi owns (Argo CD 3 needs sub-resource actions spelled out: facts-delivery.md section 4).
"""

from __future__ import annotations

from core import labels as L
from plan.gitops import IN_CLUSTER, TeamProject

TEAM_ROLE = "team"
TEAM_ACTIONS = (("applications", "get"), ("applications", "sync"), ("applications", "action/*"), ("logs", "get"))


def team_policies(team: str) -> list[str]:
    return [f"p, proj:{team}:{TEAM_ROLE}, {resource}, {action}, {team}/*, allow" for resource, action in TEAM_ACTIONS]


def team_project(project: TeamProject, argo_namespace: str) -> dict:
    cluster_kinds = [{"group": "", "kind": "Namespace"}] if any(r.create_namespace for r in project.repos) else []
    spec: dict = {
        "description": f"Models and repositories of team {project.team}",
        "sourceRepos": list(project.source_repos),
        "destinations": [{"server": IN_CLUSTER, "namespace": ns} for ns in project.namespaces],
        "clusterResourceWhitelist": cluster_kinds,
        "namespaceResourceBlacklist": [{"group": "", "kind": "Secret"}],
    }
    if project.groups:
        spec["roles"] = [
            {
                "name": TEAM_ROLE,
                "description": f"Members of team {project.team}: read, sync and run actions on its applications",
                "groups": list(project.groups),
                "policies": team_policies(project.team),
            }
        ]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {
            "name": project.team,
            "namespace": argo_namespace,
            "labels": {
                "app.kubernetes.io/part-of": L.PART_OF,
                "app.kubernetes.io/managed-by": "pulumi",
                L.TEAM: project.team,
            },
        },
        "spec": spec,
    }
