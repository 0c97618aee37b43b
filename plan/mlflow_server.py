"""What the stack's own MLflow server is, decided once from settings: where it runs, what it talks to, who
may reach it. The manifests (manifests/mlflow_server/) and the component (components/data/) read only this."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.labels import PART_OF
from facts import mlflow_server as facts
from plan.mlflow_route import MlflowRoute, mlflow_route
from settings.addons import Resources
from settings.mlflow_server import LocalStoreSettings
from settings.stack import StackSettings

Store = Literal["cloud-sql", "in-cluster"]


@dataclass(frozen=True)
class MlflowServerPlan:
    namespace: str
    environment: str
    store: Store  # cloud-sql: GKE, Cloud SQL + GCS; in-cluster: a PostgreSQL StatefulSet + a PVC
    kubernetes_minor: int
    replicas: int
    workers: int
    resources: Resources
    auth: bool
    # auth only: the admin (the program's user, mlflowUsername) and the read-only user the model pods sign in as
    admin_username: str
    reader_username: str
    # Who may open a connection to the server (NetworkPolicy peers): model namespaces (their download init
    # containers), the monitoring namespace (metrics, the delivery-metrics job) and the traffic layer.
    model_namespaces: tuple[str, ...]
    monitoring_namespace: str
    traffic_namespaces: tuple[str, ...]
    local: LocalStoreSettings
    project: str = ""  # GKE
    region: str = ""  # GKE
    # GKE with a TLS Gateway: the route the program and CI reach the server through (plan/mlflow_route.py)
    route: MlflowRoute | None = None

    @property
    def labels(self) -> dict[str, str]:
        return {
            "app.kubernetes.io/name": facts.NAME,
            "app.kubernetes.io/instance": f"{facts.NAME}-{self.environment}",
            "app.kubernetes.io/component": "tracking-server",
            "app.kubernetes.io/part-of": PART_OF,
            "app.kubernetes.io/managed-by": "pulumi",
        }

    @property
    def selector(self) -> dict[str, str]:
        return {k: self.labels[k] for k in ("app.kubernetes.io/name", "app.kubernetes.io/instance")}

    @property
    def uri(self) -> str:
        return facts.in_cluster_uri(self.namespace)

    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        """Host headers the server answers (its DNS-rebinding guard refuses any other): the Service's
        names as pods write them, localhost for a port-forward, and the route's host as the load balancer
        forwards it (the client's Host header: no port on 443, or with it)."""
        host = facts.service_host(self.namespace)
        short = f"{facts.NAME}.{self.namespace}"
        names = (host, short, f"{short}.svc", "localhost", "127.0.0.1")
        internal = tuple(name for h in names for name in (h, f"{h}:{facts.PORT}"))
        return internal + ((self.route.hostname, f"{self.route.hostname}:443") if self.route else ())


def mlflow_server_plan(settings: StackSettings, model_names: tuple[str, ...]) -> MlflowServerPlan | None:
    server = settings.mlflow_server
    if not server.enabled:
        return None
    gke = settings.cluster.mode != "kubeconfig"
    return MlflowServerPlan(
        namespace=server.namespace,
        environment=settings.environment,
        store="cloud-sql" if gke else "in-cluster",
        kubernetes_minor=settings.kubernetes_minor,
        replicas=server.replicas,
        workers=server.workers,
        resources=server.resources,
        auth=server.auth == "basic",
        admin_username=settings.mlflow_username,
        reader_username=server.reader_username,
        model_namespaces=tuple(settings.namespace_for(name) for name in model_names),
        monitoring_namespace=settings.monitoring_namespace,
        traffic_namespaces=settings.traffic_namespaces,
        local=server.local,
        project=settings.cluster.project or "",
        region=(settings.cluster.region or "") if gke else "",
        route=mlflow_route(settings),
    )
