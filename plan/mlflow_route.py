"""How the program and CI reach the stack's own tracking server from outside the cluster: a route through the
stack's Gateway at `mlflow.<hostnameSuffix>`, decided once from settings.

Only on a GKE stack whose Gateway terminates TLS: the program signs in as the server's admin with basic
credentials, which must never cross the internet in clear. Without TLS (or without a Gateway) there is no
route, and `kubectl -n <namespace> port-forward svc/mlflow 5000` reaches it at mlflowTrackingUri's default.

The Gateway gets a listener of its own for that one host, admitting routes from the server's namespace only;
the models' wildcard listener (`*.<suffix>`) keeps admitting model namespaces only, so neither can take the
other's traffic (Gateway API: the most specific hostname wins).
"""

from __future__ import annotations

from dataclasses import dataclass

from facts import mlflow_server as facts
from settings.stack import StackSettings

LISTENER = "mlflow"  # the Gateway's listener for the server's host (its route's sectionName)


@dataclass(frozen=True)
class MlflowRoute:
    hostname: str  # mlflow.<hostnameSuffix>
    namespace: str  # the server's namespace: the only one the listener admits routes from
    gateway_name: str
    gateway_namespace: str
    source_cidrs: tuple[str, ...]  # where the Google load balancer's proxies connect from (NetworkPolicy)

    @property
    def uri(self) -> str:
        return f"https://{self.hostname}"


def route_blocker(settings: StackSettings) -> str | None:
    """Why a stack with its own server gets no route (None: it gets one, or has no server)."""
    server, traffic = settings.mlflow_server, settings.addons.traffic
    if not server.enabled:
        return None
    if settings.cluster.mode == "kubeconfig" or traffic.layer != "gke-gateway" or not traffic.hostname_suffix:
        return "the stack has no GKE Gateway"
    if traffic.tls is None:
        return "the Gateway has no TLS, and the program's basic credentials must not cross the internet in clear"
    return None


def mlflow_route(settings: StackSettings) -> MlflowRoute | None:
    if not settings.mlflow_server.enabled or route_blocker(settings) is not None:
        return None
    traffic = settings.addons.traffic
    return MlflowRoute(
        hostname=f"{facts.NAME}.{traffic.hostname_suffix}",
        namespace=settings.mlflow_server.namespace,
        gateway_name=traffic.gateway_name,
        gateway_namespace=traffic.namespace,
        source_cidrs=settings.traffic_source_cidrs,
    )
