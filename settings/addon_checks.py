"""What the platform add-ons need from the rest of the stack: the cluster mode and its Gateway API, the
traffic namespaces, the stack's own Prometheus. Every problem at once, each on the key to change;
StackSettings calls `addons_problems` with every other cross-key check.
"""

from __future__ import annotations

from core.spec import Located, located
from settings.addons import AddonsSettings
from settings.cluster import ClusterSettings


def addons_problems(
    addons: AddonsSettings, cluster: ClusterSettings, traffic_namespaces: tuple[str, ...]
) -> list[Located]:
    """What the add-ons need from the rest of the stack, every problem at once."""
    problems = []
    traffic = addons.traffic
    if traffic.layer == "gke-gateway" and cluster.mode == "kubeconfig":
        problems.append(
            located(
                ("addons", "traffic", "layer"),
                "the GKE Gateway needs a GKE cluster",
                "set layer: none for a kubeconfig cluster, or cluster.mode: gke",
            )
        )
    if traffic.layer == "gke-gateway" and cluster.mode == "gke" and cluster.gateway_api_channel == "CHANNEL_DISABLED":
        problems.append(
            located(
                ("cluster", "gatewayApiChannel"),
                "the GKE Gateway needs the cluster's Gateway API",
                "set gatewayApiChannel: CHANNEL_STANDARD",
            )
        )
    if traffic.layer == "none" and (traffic.tls or traffic.static_ip_name or traffic.hostname_suffix):
        problems.append(
            located(
                ("addons", "traffic"),
                "tls, staticIpName and hostnameSuffix configure the Gateway",
                "remove them or use layer: gke-gateway",
            )
        )
    if traffic.static_ip_name and traffic.gateway_class != "gke-l7-global-external-managed":
        problems.append(
            located(
                ("addons", "traffic", "staticIpName"),
                "only the global class's address is reserved here; regional classes need a regional address in "
                "the cluster's subnet",
                "use gke-l7-global-external-managed, or remove staticIpName",
            )
        )
    if traffic.layer == "gke-gateway" and not traffic.hostname_suffix:
        problems.append(
            located(
                ("addons", "traffic", "hostnameSuffix"),
                "the Gateway serves each model at <model>.<hostnameSuffix>; without a suffix every model's route "
                "would match every host on the listener (only the oldest would get traffic), the pre-rollout load "
                "test would have no host to call, and an HTTPS listener no hostname for its certificates",
                "set addons.traffic.hostnameSuffix, e.g. models.dev.example.com (a DNS zone that resolves to the "
                "Gateway's address)",
            )
        )
    if traffic.tls and traffic.gateway_class == "gke-l7-rilb":
        problems.append(
            located(
                ("addons", "traffic", "tls"),
                "pre-shared certificates are global; gke-l7-rilb takes regional ones",
                "use gke-l7-global-external-managed or remove tls",
            )
        )
    if addons.flagger.enabled and traffic.namespace not in traffic_namespaces:
        problems.append(
            located(
                ("addons", "traffic", "namespace"),
                f"the load tester runs in {traffic.namespace!r}, which model NetworkPolicies do not admit",
                f"add {traffic.namespace} to trafficNamespaces",
            )
        )
    # Flagger, KEDA and Grafana query kube-prometheus-stack (README "Platform add-ons"). GKE's Managed Service
    # for Prometheus is kept only where it brings what the stack's Prometheus cannot have: the DCGM GPU
    # metrics GKE sends to it alone. Otherwise it would scrape the same targets again and bill the ingestion.
    if (
        cluster.mode == "gke"
        and cluster.managed_prometheus
        and "DCGM" not in cluster.monitoring_components
        and addons.monitoring.enabled
    ):
        problems.append(
            located(
                ("cluster", "managedPrometheus"),
                "the stack's own Prometheus already collects workload metrics; managed collection would only "
                "scrape them twice",
                "set managedPrometheus: false, or add DCGM to monitoringComponents",
            )
        )
    if addons.keda.enabled and not addons.monitoring.enabled:
        problems.append(
            located(
                ("addons", "keda", "enabled"),
                "KEDA scales every model on Prometheus queries (requests, queue depth), and the stack's Prometheus "
                "is off, so each ScaledObject would have no server to query",
                "keep addons.monitoring.enabled: true, or set addons.keda.enabled: false (models then scale on CPU "
                "and memory with an HPA)",
            )
        )
    if addons.flagger.enabled and not addons.monitoring.enabled:
        problems.append(
            located(
                ("addons", "flagger", "enabled"),
                "Flagger's canary analysis queries the stack's Prometheus",
                "keep addons.monitoring.enabled: true or disable Flagger",
            )
        )
    return problems
