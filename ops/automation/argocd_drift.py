"""Drift of what Argo CD owns: in gitops mode the model objects exist only as files for Argo CD, so a
Pulumi refresh cannot see them. Argo CD itself compares Git with the cluster; its verdict is in each
Application's status (argoproj.io/v1alpha1 `.status.sync.status`, `.status.health.status`).

The Applications to ask about are the ones Pulumi applied (from the stack's state); each is read through
the Kubernetes API (one list per Argo CD namespace). Drift: an Application missing from the cluster, a
sync status other than Synced (OutOfSync: the cluster differs from the deploy branch; Unknown: Argo CD
could not compare, e.g. the path is not on the branch), or health Degraded, Missing or Unknown.
Progressing and Suspended are a rollout under way (a canary), reported but not drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops.kube_api import KubeClient, client_from_kubeconfig
from ops.resource_types import APPLICATION_TYPE

DRIFT_HEALTH = ("Degraded", "Missing", "Unknown")
GROUP_PATH = "/apis/argoproj.io/v1alpha1"


class NoClusterAccess(Exception):
    """The stack has Applications but no kubeconfig was given; the message says how to give one."""


@dataclass(frozen=True)
class AppStatus:
    namespace: str
    name: str
    sync: str  # Synced | OutOfSync | Unknown | "" (the Application is missing)
    health: str
    revision: str = ""
    message: str = ""

    @property
    def missing(self) -> bool:
        return not self.sync and not self.health

    @property
    def drifted(self) -> bool:
        return self.missing or self.sync != "Synced" or self.health in DRIFT_HEALTH

    def note(self) -> str:
        where = f"Argo CD Application {self.namespace}/{self.name}"
        if self.missing:
            return f"{where}: missing from the cluster (Pulumi applied it; re-run `ops up`)"
        detail = f" at {self.revision[:12]}" if self.revision else ""
        text = f"{where}: {self.sync}, health {self.health}{detail}"
        return text + (f": {self.message}" if self.message else "")


def applications_in_state(deployment: dict[str, Any]) -> list[tuple[str, str]]:
    """(namespace, name) of every Argo CD Application the stack's state holds."""
    found = []
    for resource in deployment.get("resources") or []:
        if resource.get("type") == APPLICATION_TYPE and not resource.get("delete"):
            metadata = (resource.get("inputs") or {}).get("metadata") or {}
            found.append((str(metadata.get("namespace", "")), str(metadata.get("name", ""))))
    return sorted(found)


def _status(namespace: str, name: str, item: dict | None) -> AppStatus:
    if item is None:
        return AppStatus(namespace, name, "", "")
    status = item.get("status") or {}
    sync, health = status.get("sync") or {}, status.get("health") or {}
    conditions = [c.get("message", "") for c in status.get("conditions") or [] if "Error" in str(c.get("type", ""))]
    message = health.get("message") or (conditions[0] if conditions else "")
    return AppStatus(
        namespace,
        name,
        str(sync.get("status") or "Unknown"),
        str(health.get("status") or "Unknown"),
        str(sync.get("revision") or ""),
        " ".join(str(message).split())[:200],
    )


def application_statuses(api: KubeClient, wanted: list[tuple[str, str]]) -> list[AppStatus]:
    statuses = []
    for namespace in sorted({ns for ns, _ in wanted}):
        listing = api.get(f"{GROUP_PATH}/namespaces/{namespace}/applications") or {}
        items = {(i.get("metadata") or {}).get("name"): i for i in listing.get("items") or []}
        statuses += [_status(namespace, name, items.get(name)) for ns, name in wanted if ns == namespace]
    return statuses


def argo_cd_drift(
    deployment: dict[str, Any], kubeconfig: Path | None, context: str | None = None, skip: bool = False
) -> tuple[list[AppStatus], list[str]]:
    """The Applications in the state that Argo CD reports as drifted, and the lines saying what was read
    (the last one is the summary). Raises NoClusterAccess, or KubeError when the cluster does not answer."""
    wanted = applications_in_state(deployment)
    if not wanted:
        return [], ["Argo CD: the stack has no Application"]
    if skip:
        return [], [f"Argo CD: the sync status of {len(wanted)} Application(s) was not read (--skip-argocd)"]
    if kubeconfig is None:
        raise NoClusterAccess(
            f"the stack has {len(wanted)} Argo CD Application(s) whose drift only the cluster knows "
            "(fix: --kubeconfig FILE or KUBECONFIG; or --skip-argocd to leave them out, said in the report)"
        )
    client = client_from_kubeconfig(kubeconfig, context)
    try:
        statuses = application_statuses(client, wanted)
    finally:
        client.close()
    drifted = [s for s in statuses if s.drifted]
    under_way = [s.note() for s in statuses if not s.drifted and s.health != "Healthy"]
    return drifted, [*under_way, f"Argo CD: {len(drifted)} of {len(statuses)} Application(s) drifted"]
