"""The shared Gateway model HTTPRoutes attach to, for GKE's managed Gateway controller.

Flagger (provider gatewayapi:v1) creates one HTTPRoute per model with `parentRefs` to this Gateway and
shifts its backendRefs' weights; GKE implements weights on the non-classic classes only
(settings.addons.WeightedGatewayClass; facts-delivery.md §3). Routes are admitted from the platform's
model namespaces only, never from any namespace that happens to exist.
"""

from __future__ import annotations

from typing import Any

from core.labels import MODEL, PART_OF
from plan.mlflow_route import LISTENER, MlflowRoute
from settings.addons import TrafficSettings

# GKE: the listener's certificates by name, comma-separated (GKE "Secure a Gateway" / pre-shared certs).
PRE_SHARED_CERTS_OPTION = "networking.gke.io/pre-shared-certs"


def _listener(name: str, protocol: str, port: int, hostname: str, namespaces: dict[str, Any]) -> dict[str, Any]:
    listener: dict[str, Any] = {
        "name": name,
        "protocol": protocol,
        "port": port,
        "allowedRoutes": {
            "namespaces": {"from": "Selector", "selector": namespaces},
            "kinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}],
        },
    }
    if hostname:
        listener["hostname"] = hostname
    return listener


def gateway_manifest(traffic: TrafficSettings, mlflow_route: MlflowRoute | None = None) -> dict[str, Any]:
    """With TLS, HTTPS only: a plain listener beside it would serve the same routes unencrypted. With the
    stack's own tracking server routed (plan/mlflow_route.py, TLS only), a second listener for its one host,
    admitting routes from its namespace only, on the same port and certificates."""
    if traffic.layer != "gke-gateway":
        raise ValueError(f"no Gateway for traffic layer {traffic.layer!r}")
    name, protocol, port = traffic.listener()
    suffix = traffic.hostname_suffix
    # Every model namespace carries the model label (core.labels.model_labels); add-on ones do not.
    models = {"matchExpressions": [{"key": MODEL, "operator": "Exists"}]}
    listeners = [_listener(name, protocol, port, f"*.{suffix}" if suffix else "", models)]
    if mlflow_route is not None:
        only_server = {"matchLabels": {"kubernetes.io/metadata.name": mlflow_route.namespace}}
        listeners.append(_listener(LISTENER, protocol, port, mlflow_route.hostname, only_server))
    if traffic.tls:
        for listener in listeners:
            listener["tls"] = {
                "mode": "Terminate",
                "options": {PRE_SHARED_CERTS_OPTION: ",".join(traffic.tls.pre_shared_certificates)},
            }
    spec: dict[str, Any] = {"gatewayClassName": traffic.gateway_class, "listeners": listeners}
    if traffic.static_ip_name:
        spec["addresses"] = [{"type": "NamedAddress", "value": traffic.static_ip_name}]
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {
            "name": traffic.gateway_name,
            "namespace": traffic.namespace,
            "labels": {"app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi"},
        },
        "spec": spec,
    }
