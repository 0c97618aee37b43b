"""Helm values of Flagger and its load tester (fluxcd/flagger v1.44.0 charts; facts-delivery.md §1, §3).

- `crd.create` stays false: the chart's crds/ directory already holds the CRDs, and with helm.v4.Chart a
  true value would render each CRD twice.
- `metricsServer` is the stack's Prometheus: the chart default (http://prometheus:9090) resolves nowhere.
- `meshProvider` is the stack's traffic layer: gatewayapi:v1 with a Gateway, kubernetes (blue/green) without.
- Flagger's own metrics (canary status, weights) go to Prometheus through a PodMonitor carrying the
  selector labels, for the dashboards and alerts on stuck canaries.
"""

from __future__ import annotations

from typing import Any

from facts.scrapes import FLAGGER_POD_MONITOR
from plan.platform import PlatformRefs
from settings.addons import FlaggerSettings


def flagger_values(flagger: FlaggerSettings, refs: PlatformRefs) -> dict[str, Any]:
    if not refs.prometheus_url:
        raise ValueError("Flagger needs the stack's Prometheus (PlatformRefs.prometheus_url is empty)")
    return {
        "meshProvider": refs.flagger_provider,
        "metricsServer": refs.prometheus_url,
        "crd": {"create": False},
        # With more than one replica only the leader reconciles.
        "leaderElection": {"enabled": flagger.replicas > 1, "replicaCount": flagger.replicas},
        "resources": flagger.resources.as_values(),
        # honorLabels as the alerts expect it: the canary's namespace arrives as exported_namespace.
        "podMonitor": {
            "enabled": True,
            "additionalLabels": dict(refs.monitor_selector_labels),
            "honorLabels": FLAGGER_POD_MONITOR.honor_labels,
        },
        "podDisruptionBudget": {"enabled": flagger.replicas > 1, "minAvailable": 1},
    }


def loadtester_values(flagger: FlaggerSettings) -> dict[str, Any]:
    # cmd.timeout (1h) bounds each webhook command; the chart default is kept.
    return {"resources": flagger.loadtester_resources.as_values()}
