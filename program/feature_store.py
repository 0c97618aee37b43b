"""The stack's Feast feature store as the program registers it, and its `featureStore` stack output."""

from __future__ import annotations

import pulumi

from components.cluster.cluster_access import ClusterAccess
from components.data.feature_store import FeatureStore, FeatureStoreArgs, FeatureStoreGcp
from plan.feature_store import FeatureStorePlan
from settings.cluster import region_of
from settings.stack import StackSettings


def feature_store(
    settings: StackSettings, plan: FeatureStorePlan, cluster: ClusterAccess, opts: pulumi.ResourceOptions
) -> FeatureStore:
    # Feast's server and online store, in their own namespace; models reach it over the cluster network,
    # so nothing of theirs waits for it (a model starts without features and Feast answers once ready).
    store = FeatureStore(
        "feature-store",
        FeatureStoreArgs(
            plan=plan,
            gcp=FeatureStoreGcp(
                project=settings.cluster.gke_identity.project,
                region=region_of(settings.cluster.gke_identity.location),
                network=settings.cluster.networking.network,
                workload_pool=cluster.gke.workload_pool,
                production=settings.production,
            )
            if cluster.gke is not None
            else None,
            kube_provider=cluster.kube_provider,
        ),
        opts=opts,
    )
    pulumi.export("featureStore", {"url": store.server_url, "readers": {r.model: r.service for r in plan.readers}})
    return store
