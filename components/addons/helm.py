"""One way to install a chart: helm.v4.Chart from a pinned version of a known repository.

Why helm.v4.Chart for every add-on (docs/addons.md has the trade-offs): the preview shows each object the
chart renders and its diff (a helm.v3.Release shows one opaque release), it works with the provider's
render mode, and a chart's crds/ are applied before its custom resources, with server-side apply (the
kube-prometheus-stack CRDs exceed the client-side annotation limit). Its cost, no Helm hooks, is handled
per chart in manifests/addons/.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from facts.charts import ChartFact


def helm_chart(
    name: str,
    fact: ChartFact,
    version: str,
    release: str,
    namespace: pulumi.Input[str],
    values: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
) -> k8s.helm.v4.Chart:
    """`release` is the Helm release name (fixes in-cluster names, see plan/platform.py); `version` is the
    stack's pin (facts/charts.py holds the verified default)."""
    return k8s.helm.v4.Chart(
        name,
        chart=fact.chart,
        version=version,
        repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=fact.repository),
        name=release,
        namespace=namespace,
        values=dict(values),
        opts=opts,
    )
