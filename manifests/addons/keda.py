"""Helm values of KEDA (kedacore/charts keda 2.20.2).

KEDA's chart installs its CRDs as ordinary templates (`crds.install`) and makes its webhook and
metrics-server certificates in the operator itself, not with Helm hooks, so helm.v4.Chart installs it
as `helm install` would. The operator's metrics go to Prometheus through a ServiceMonitor with the
stack's selector labels.

On GKE the metrics API server and the admission webhooks listen on 10250 instead of 6443 and 9443: the
control plane of a cluster with private nodes reaches nodes on 443 and 10250 only, so the external-metrics
APIService would stay FailedDiscoveryCheck (kedacore/charts#214; the same GKE rule, open-policy-agent/
gatekeeper#499). Port 10250 in a pod's own network namespace does not clash with the kubelet's.
"""

from __future__ import annotations

from typing import Any

from plan.platform import PlatformRefs
from settings.addons import KedaSettings

GKE_CONTROL_PLANE_PORT = 10250  # allowed from the control plane by GKE's own firewall rule


def keda_values(keda: KedaSettings, refs: PlatformRefs, gke: bool) -> dict[str, Any]:
    resources = keda.resources.as_values()
    values: dict[str, Any] = {
        "crds": {"install": True},  # this chart is the only installer of keda.sh CRDs
        "operator": {"replicaCount": keda.replicas},
        "resources": {"operator": resources, "metricServer": resources, "webhooks": resources},
    }
    if keda.replicas > 1:
        values["podDisruptionBudget"] = {"operator": {"minAvailable": 1}}
    if gke:
        values["service"] = {"portHttpsTarget": GKE_CONTROL_PLANE_PORT}
        values["webhooks"] = {"port": GKE_CONTROL_PLANE_PORT}
    if refs.prometheus_url:
        values["prometheus"] = {
            "operator": {
                "enabled": True,
                "serviceMonitor": {"enabled": True, "additionalLabels": dict(refs.monitor_selector_labels)},
            }
        }
    return values
