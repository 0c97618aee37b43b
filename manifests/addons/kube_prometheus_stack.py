"""Helm values of kube-prometheus-stack (chart version in facts/charts.py; keys checked against the
chart's own default values by tests/test_addon_values.py).

Choices, each tied to a trap in ../shared/design/facts-delivery.md:
- Installed with helm.v4.Chart, which never runs Helm hooks; the operator's admission-webhook certificate
  is made by a hook Job, so the webhooks and the operator's TLS are turned off instead of left waiting on
  a Secret that never comes (section 6). What the webhook would catch (malformed PrometheusRules) is
  caught earlier by our own strict schema tests of every rule we emit.
- Prometheus keeps the chart's release-label selectors: it scrapes the ServiceMonitors, PodMonitors and
  PrometheusRules labelled `PlatformRefs.monitor_selector_labels`, the chart's own included.
- GKE runs the control plane and (with Dataplane V2) no kube-proxy: those scrape targets do not exist
  there and would only raise TargetDown alerts.
"""

from __future__ import annotations

from typing import Any

from plan.platform import PlatformRefs
from settings.addons import MonitoringSettings

# Keys of the Secret Pulumi creates for Grafana's admin (the chart's default userKey and passwordKey).
GRAFANA_USER_KEY = "admin-user"
GRAFANA_PASSWORD_KEY = "admin-password"
GRAFANA_ADMIN_USER = "admin"
# Targets a managed control plane does not expose (values keys of the chart).
_GKE_ABSENT_TARGETS = ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy")


def _storage(size: str, storage_class: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    return {"volumeClaimTemplate": {"spec": spec}}


def kube_prometheus_stack_values(
    monitoring: MonitoringSettings, refs: PlatformRefs, managed_control_plane: bool, grafana_admin_secret: str | None
) -> dict[str, Any]:
    """`grafana_admin_secret`: name of the Secret holding the admin credentials; None lets the Grafana
    chart generate a password into its own Secret."""
    prometheus_spec: dict[str, Any] = {
        "replicas": monitoring.prometheus_replicas,
        "retention": monitoring.retention,
        "scrapeInterval": monitoring.scrape_interval,
        "evaluationInterval": monitoring.scrape_interval,
        "resources": monitoring.prometheus_resources.as_values(),
    }
    if monitoring.storage_size is not None:
        prometheus_spec["storageSpec"] = _storage(str(monitoring.storage_size), monitoring.storage_class)

    label, label_value = refs.dashboard_label
    grafana: dict[str, Any] = {
        "sidecar": {
            "dashboards": {"enabled": True, "label": label, "labelValue": label_value, "searchNamespace": "ALL"}
        }
    }
    if grafana_admin_secret:
        grafana["admin"] = {
            "existingSecret": grafana_admin_secret,
            "userKey": GRAFANA_USER_KEY,
            "passwordKey": GRAFANA_PASSWORD_KEY,
        }

    values: dict[str, Any] = {
        "crds": {"enabled": True},  # this chart is the only installer of monitoring.coreos.com CRDs
        "prometheusOperator": {
            "admissionWebhooks": {"enabled": False},
            "tls": {"enabled": False},
            "resources": monitoring.operator_resources.as_values(),
        },
        # A disruption budget only where a second replica can keep serving during node drains.
        "prometheus": {
            "prometheusSpec": prometheus_spec,
            "podDisruptionBudget": {"enabled": monitoring.prometheus_replicas > 1, "minAvailable": 1},
        },
        "alertmanager": {
            "alertmanagerSpec": {
                "replicas": monitoring.alertmanager_replicas,
                "resources": monitoring.alertmanager_resources.as_values(),
            },
            "podDisruptionBudget": {"enabled": monitoring.alertmanager_replicas > 1, "minAvailable": 1},
        },
        "grafana": grafana,
    }
    if managed_control_plane:
        values.update({target: {"enabled": False} for target in _GKE_ABSENT_TARGETS})
    return values


def grafana_admin_secret_manifest(name: str, namespace: str, password: Any) -> dict[str, Any]:
    """`password` is a Pulumi secret Output: it stays encrypted in the state and masked in renders."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/part-of": "mlops-platform"}},
        "type": "Opaque",
        "stringData": {GRAFANA_USER_KEY: GRAFANA_ADMIN_USER, GRAFANA_PASSWORD_KEY: password},
    }
