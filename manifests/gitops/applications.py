"""Argo CD Applications (argoproj.io/v1alpha1): one per model in gitops mode, one per team repository.

Pulumi owns every Application (teams may sync and read them, never edit them: see projects.py).
Field meanings: ../shared/design/facts-delivery.md section 4 (argo-cd docs application.yaml,
auto_sync.md, sync-options.md).
"""

from __future__ import annotations

from core import labels as L
from manifests.gitops.flagger_owned import ignore_differences
from plan.gitops import IN_CLUSTER, ModelApp
from settings.gitops import TeamRepo

# Deleting a model's Application (the model left the catalogue) deletes what it synced.
CASCADE_FINALIZER = "resources-finalizer.argocd.argoproj.io"

# Retries of a failed sync: 10s, 20s, 40s, 80s, 160s, then give up until the next change or refresh.
RETRY = {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}}


def _labels(team: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        "app.kubernetes.io/part-of": L.PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
        L.TEAM: team,
        **(extra or {}),
    }


def model_application(app: ModelApp, repo_url: str, branch: str, argo_namespace: str) -> dict:
    """Pulls `<manifestsDir>/<environment>/<model>/` (the render provider writes `1-manifest/` and
    `0-crd/` under it, hence `recurse`), prunes and self-heals, and leaves Flagger its fields."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": app.model,
            "namespace": argo_namespace,
            "labels": _labels(app.team, {L.MODEL: app.model}),
            "finalizers": [CASCADE_FINALIZER],
        },
        "spec": {
            "project": app.team,
            "source": {
                "repoURL": repo_url,
                "targetRevision": branch,
                "path": app.path,
                "directory": {"recurse": True},
            },
            # The Namespace is Pulumi's (it exists before the first sync, with its Secrets in it).
            "destination": {"server": IN_CLUSTER, "namespace": app.namespace},
            "ignoreDifferences": ignore_differences(app.deployment),
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True, "allowEmpty": False},
                "retry": RETRY,
                "syncOptions": [
                    # Without it the ignored fields are only hidden from the diff, and a sync would still
                    # write Git's value over Flagger's (sync-options.md "Respect ignore differences").
                    "RespectIgnoreDifferences=true",
                    "ServerSideApply=true",
                    "PruneLast=true",
                ],
            },
        },
    }


def team_repo_application(team: str, repo: TeamRepo, argo_namespace: str) -> dict:
    """A team's ml-configs or ml-pipelines repository, with the sync policy the stack config gives it."""
    sync_policy: dict = {"retry": RETRY}
    if repo.automated:
        sync_policy["automated"] = {"prune": repo.prune, "selfHeal": repo.self_heal, "allowEmpty": False}
    if repo.create_namespace:
        sync_policy["syncOptions"] = ["CreateNamespace=true"]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": f"{team}-{repo.name}", "namespace": argo_namespace, "labels": _labels(team)},
        "spec": {
            "project": team,
            "source": {"repoURL": repo.repo_url, "targetRevision": repo.target_revision, "path": repo.path},
            "destination": {"server": IN_CLUSTER, "namespace": repo.namespace},
            "syncPolicy": sync_policy,
        },
    }
