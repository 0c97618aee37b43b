"""What an environment demands of its cluster: production may not relax what protects it."""

from __future__ import annotations

import ipaddress

from core.spec import Located, located
from settings.cluster import ClusterSettings


def environment_problems(environment: str, cluster: ClusterSettings) -> list[Located]:
    """Production may not relax what protects it; other environments may."""
    if environment != "prod" or cluster.mode != "gke":
        return []
    problems = []
    if not cluster.deletion_protection:
        problems.append(
            located(
                ("cluster", "deletionProtection"),
                "prod keeps cluster deletion protection",
                "remove deletionProtection: false",
            )
        )
    if cluster.binary_authorization != "PROJECT_SINGLETON_POLICY_ENFORCE":
        problems.append(
            located(
                ("cluster", "binaryAuthorization"),
                "prod enforces the Binary Authorization policy",
                "remove binaryAuthorization: DISABLED",
            )
        )
    if not cluster.private_endpoint:
        # With DNS access an empty list closes the IP endpoint to the internet (cluster_inputs always
        # sends the authorized-networks config); with IP access it would leave it open.
        if not cluster.master_authorized_networks and cluster.control_plane_access == "ip":
            problems.append(
                located(
                    ("cluster", "masterAuthorizedNetworks"),
                    "prod's public control-plane endpoint must be limited to known networks",
                    "list them in masterAuthorizedNetworks",
                )
            )
        for i, network in enumerate(cluster.master_authorized_networks):
            if ipaddress.ip_network(network.cidr_block).prefixlen == 0:
                problems.append(
                    located(
                        ("cluster", "masterAuthorizedNetworks", i, "cidrBlock"),
                        f"{network.cidr_block} opens prod's control plane to the internet",
                        "use your CI and office ranges",
                    )
                )
    return problems
