"""The kubeconfig of a GKE cluster, as `gcloud container clusters get-credentials` writes it: an exec
entry that runs gke-gcloud-auth-plugin, so no token or client key is ever written into the kubeconfig
or the Pulumi state, and whoever runs `pulumi up` uses their own Google credentials.

Pure: the endpoint and certificate come in as plain values (GkeCluster applies them from its Outputs).
"""

from __future__ import annotations

import json

AUTH_PLUGIN = "gke-gcloud-auth-plugin"
_AUTH_PLUGIN_HINT = (
    "Install gke-gcloud-auth-plugin for use with kubectl by following "
    "https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin"
)


def build_kubeconfig(name: str, endpoint: str, ca_cert: str | None) -> str:
    """A kubeconfig (JSON, which is YAML) for one cluster whose credentials come from the gcloud
    auth plugin at use time. ca_cert is the base64 PEM GKE reports as clusterCaCertificate; None for
    the DNS-based endpoint, which serves a publicly trusted certificate (as `gcloud container clusters
    get-credentials --dns-endpoint` writes it)."""
    cluster: dict[str, str] = {"server": f"https://{endpoint}"}
    if ca_cert is not None:
        cluster["certificate-authority-data"] = ca_cert
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
        "users": [
            {
                "name": name,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": AUTH_PLUGIN,
                        "installHint": _AUTH_PLUGIN_HINT,
                        "provideClusterInfo": True,
                    }
                },
            }
        ],
    }
    return json.dumps(config, indent=2)


def kubeconfig_context_name(project: str, location: str, cluster: str) -> str:
    """The context name gcloud get-credentials uses, so people recognise it."""
    return f"gke_{project}_{location}_{cluster}"


def dns_endpoint_of(config) -> str:
    """The DNS-based endpoint from a cluster's controlPlaneEndpointsConfig (resource or data source)."""
    dns = getattr(config, "dns_endpoint_config", None)
    if dns is None:
        dns = next(iter(getattr(config, "dns_endpoint_configs", None) or []), None)
    endpoint = getattr(dns, "endpoint", None) if dns is not None else None
    if not endpoint:
        raise ValueError(
            "the cluster reports no DNS-based control-plane endpoint (fix: gcloud container clusters update <name> "
            "--enable-dns-access, or set cluster.controlPlaneAccess: ip and run from a network the IP endpoint admits)"
        )
    return endpoint
