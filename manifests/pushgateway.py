"""Pure builders of the Prometheus Pushgateway the quality monitors push to: Deployment, Service and
the ServiceMonitor that has Prometheus scrape it (facts/pushgateway.py has the image and its sources).

No chart: it is one container without configuration. One replica without persistence: the monitors
push every few minutes, so a restarted Pushgateway is refilled within one schedule interval.
"""

from __future__ import annotations

from facts import pushgateway as pgw
from facts.scrapes import PUSHGATEWAY_SERVICE_MONITOR
from manifests.security_context import restricted_container_security, restricted_pod_security

_SELECTOR = {"app.kubernetes.io/name": pgw.NAME, "app.kubernetes.io/instance": f"{pgw.NAME}-quality"}
LABELS = {
    **_SELECTOR,
    "app.kubernetes.io/component": "metrics-push",
    "app.kubernetes.io/part-of": "mlops-platform",
    "app.kubernetes.io/managed-by": "pulumi",
}


def _metadata(namespace: str, extra_labels: dict[str, str] | None = None) -> dict:
    return {"name": pgw.NAME, "namespace": namespace, "labels": {**LABELS, **(extra_labels or {})}}


def _probe(path: str, period: int, failures: int) -> dict:
    return {
        "httpGet": {"path": path, "port": pgw.PORT_NAME},
        "periodSeconds": period,
        "failureThreshold": failures,
        "timeoutSeconds": 2,
    }


def deployment_manifest(namespace: str) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(namespace),
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": _SELECTOR},
            "strategy": {"type": "Recreate"},
            "template": {
                "metadata": {"labels": LABELS},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": restricted_pod_security(pgw.RUN_AS_USER),
                    "containers": [
                        {
                            "name": pgw.NAME,
                            "image": pgw.IMAGE,
                            "ports": [{"name": pgw.PORT_NAME, "containerPort": pgw.PORT, "protocol": "TCP"}],
                            "readinessProbe": _probe(pgw.READY_PATH, 10, 3),
                            "livenessProbe": _probe(pgw.HEALTHY_PATH, 10, 6),
                            "resources": {
                                "requests": {"cpu": "50m", "memory": "64Mi"},
                                "limits": {"cpu": "500m", "memory": "256Mi"},
                            },
                            "securityContext": restricted_container_security(pgw.RUN_AS_USER),
                        }
                    ],
                },
            },
        },
    }


def service_manifest(namespace: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(namespace),
        "spec": {
            "type": "ClusterIP",
            "selector": _SELECTOR,
            "ports": [{"name": pgw.PORT_NAME, "port": pgw.PORT, "targetPort": pgw.PORT_NAME, "protocol": "TCP"}],
        },
    }


def service_monitor_manifest(namespace: str, monitor_selector_labels: dict[str, str]) -> dict:
    """honorLabels: the pushed series keep their own labels (model, version, feature), and the
    Pushgateway's job/instance do not overwrite them [PGW-README]."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": _metadata(namespace, monitor_selector_labels),
        "spec": {
            "selector": {"matchLabels": _SELECTOR},
            "namespaceSelector": {"matchNames": [namespace]},
            "endpoints": [
                {
                    "port": pgw.PORT_NAME,
                    "path": "/metrics",
                    "interval": "30s",
                    "honorLabels": PUSHGATEWAY_SERVICE_MONITOR.honor_labels,
                }
            ],
        },
    }


def pushgateway_manifests(namespace: str, monitor_selector_labels: dict[str, str] | None) -> list[dict]:
    """Deployment and Service, plus the ServiceMonitor when a Prometheus operator will read it
    (monitor_selector_labels given; {} when its selectors take every ServiceMonitor)."""
    objects = [deployment_manifest(namespace), service_manifest(namespace)]
    if monitor_selector_labels is not None:
        objects.append(service_monitor_manifest(namespace, monitor_selector_labels))
    return objects
