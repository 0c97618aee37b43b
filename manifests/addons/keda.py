"""Helm values of KEDA (kedacore/charts keda 2.20.2).

KEDA's chart installs its CRDs as ordinary templates (`crds.install`) and makes its webhook and
metrics-server certificates in the operator itself, not with Helm hooks, so helm.v4.Chart installs it
as `helm install` would. The operator's metrics go to Prometheus through a ServiceMonitor with the
stack's selector labels.
"""

from __future__ import annotations

from typing import Any

from plan.platform import PlatformRefs
from settings.addons import KedaSettings


def keda_values(keda: KedaSettings, refs: PlatformRefs) -> dict[str, Any]:
    resources = keda.resources.as_values()
    values: dict[str, Any] = {
        "crds": {"install": True},  # this chart is the only installer of keda.sh CRDs
        "operator": {"replicaCount": keda.replicas},
        "resources": {"operator": resources, "metricServer": resources, "webhooks": resources},
    }
    if refs.prometheus_url:
        values["prometheus"] = {
            "operator": {
                "enabled": True,
                "serviceMonitor": {"enabled": True, "additionalLabels": dict(refs.monitor_selector_labels)},
            }
        }
    return values
