"""Typed settings of the platform add-ons (`addons:`): kube-prometheus-stack, Flagger and its load
tester, KEDA and the traffic layer, one sub-spec each.

Sizes differ per environment (a laptop cluster cannot hold prod's two Prometheus replicas with 100Gi
disks), so every field's default comes from the environment's profile (settings/addon_defaults.py), and
the stack's `addons:` key overrides any field of it (StackSettings lays one over the other before
validation). Chart versions default to the verified ones in facts/charts.py.

What the add-ons need from the rest of the stack (the cluster mode, the traffic namespaces) is
checked by `addons_problems` (settings/addon_checks.py), which StackSettings calls with every other
cross-key check.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from core.durations import PROMETHEUS_DURATION, duration_seconds
from core.hostnames import hostname_problem
from core.names import DNS_SUBDOMAIN, GCP_RESOURCE_NAME
from core.problems import Invalid
from core.quantities import Quantity
from core.spec import Spec
from facts import charts

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# A model name is at most 40 characters (catalogue), plus the dot before the suffix.
MAX_SUFFIX_LENGTH = 253 - 41
_VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$")
# Prometheus treats a series with no sample in the last 5 minutes as gone (its lookback delta, "Staleness"
# in the querying basics docs): a longer scrape interval makes every series vanish between two scrapes.
MAX_SCRAPE_INTERVAL_SECONDS = 300

# GKE GatewayClasses that implement weighted backendRefs (GKE "Deploy ... weighted traffic splitting";
# facts-delivery.md section 3). The classic gke-l7-gxlb does not, so it is not offered.
WeightedGatewayClass = Literal["gke-l7-global-external-managed", "gke-l7-regional-external-managed", "gke-l7-rilb"]


def _dns_label(value: str) -> str:
    if not _DNS_LABEL.match(value) or len(value) > 63:
        raise Invalid(f"{value!r} is not a Kubernetes name", "a lowercase DNS label, e.g. flagger-system")
    return value


def _chart_version(value: str) -> str:
    if not _VERSION.match(value):
        raise Invalid(f"{value!r} is not a chart version", "an exact semantic version such as 1.44.0")
    return value


class Resources(Spec):
    """Requests of one workload; the memory limit equals the request (no OOM surprises from
    overcommit), and CPU is left unlimited so a scrape or a reconcile burst is never throttled."""

    cpu: Quantity
    memory: Quantity

    def as_values(self, cpu_limit: str | None = None) -> dict[str, dict[str, str]]:
        """Memory limit = request (no overcommit, no OOM surprise); a CPU limit only where given: the charts'
        add-ons burst, while the pods the platform writes itself carry one (the container-resources guardrail)."""
        limits = {"memory": str(self.memory), **({"cpu": cpu_limit} if cpu_limit else {})}
        return {"requests": {"cpu": str(self.cpu), "memory": str(self.memory)}, "limits": limits}


class MonitoringSettings(Spec):
    """kube-prometheus-stack: Prometheus, Alertmanager, Grafana, the operator, in `monitoringNamespace`."""

    enabled: bool
    version: str = charts.KUBE_PROMETHEUS_STACK.version
    retention: str = Field(description="How long Prometheus keeps samples (Prometheus duration, e.g. 15d).")
    storage_size: Quantity | None = Field(description="Persistent volume per Prometheus replica; null: emptyDir.")
    storage_class: str | None = None  # null: the cluster's default StorageClass
    prometheus_replicas: int = Field(ge=1, le=5)
    prometheus_resources: Resources
    alertmanager_replicas: int = Field(ge=1, le=5)
    alertmanager_resources: Resources
    operator_resources: Resources
    scrape_interval: str = "30s"

    _version = field_validator("version")(_chart_version)

    @field_validator("retention", "scrape_interval")
    @classmethod
    def _duration(cls, value: str, info: ValidationInfo) -> str:
        if not PROMETHEUS_DURATION.match(value):
            raise Invalid(f"{value!r} is not a Prometheus duration", "e.g. 30s, 12h or 15d")
        if info.field_name == "scrape_interval" and duration_seconds(value) > MAX_SCRAPE_INTERVAL_SECONDS:
            raise Invalid(
                f"{value} is longer than Prometheus's 5m lookback, so every series would go stale between scrapes",
                "scrape at most every 5m, e.g. 30s or 1m",
            )
        return value

    @field_validator("storage_class")
    @classmethod
    def _storage_class(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > 253 or not DNS_SUBDOMAIN.match(value)):
            raise Invalid(
                f"{value!r} is not a StorageClass name", "lowercase letters, digits, '-' and '.', e.g. premium-rwo"
            )
        return value


class FlaggerSettings(Spec):
    """Flagger and its load tester. Flagger runs in `namespace`; the load tester runs in the traffic
    namespace, which model NetworkPolicies already admit."""

    enabled: bool
    version: str = charts.FLAGGER.version
    loadtester_version: str = charts.LOADTESTER.version
    namespace: str = "flagger-system"
    # Two replicas need leader election (one active controller); the chart turns it on with replicaCount.
    replicas: int = Field(ge=1, le=3)
    resources: Resources
    loadtester_resources: Resources

    _version = field_validator("version", "loadtester_version")(_chart_version)
    _namespace = field_validator("namespace")(_dns_label)


class KedaSettings(Spec):
    enabled: bool
    version: str = charts.KEDA.version
    namespace: str = "keda"
    replicas: int = Field(ge=1, le=3)  # operator replicas (KEDA's own leader election picks one)
    resources: Resources  # the operator's; the metrics server and webhooks get the same

    _version = field_validator("version")(_chart_version)
    _namespace = field_validator("namespace")(_dns_label)


class TlsSettings(Spec):
    """TLS on the Gateway's HTTPS listener, terminated by the Google load balancer."""

    # Google-managed or self-managed SSL certificates (compute sslCertificates) by name.
    pre_shared_certificates: tuple[str, ...] = Field(min_length=1)

    @field_validator("pre_shared_certificates")
    @classmethod
    def _names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not GCP_RESOURCE_NAME.match(name):
                raise Invalid(
                    f"{name!r} is not a Compute Engine certificate name",
                    "the name of a Google-managed or self-managed SSL certificate: lowercase letters, digits, '-', "
                    "at most 63 characters",
                )
        return value


class TrafficSettings(Spec):
    """The traffic layer canaries shift weights on.

    gke-gateway: one Gateway of a weighted GKE class; Flagger (provider gatewayapi:v1) writes each model's
    HTTPRoute weights. none: no router; Flagger's kubernetes provider does blue/green (no weights)."""

    layer: Literal["gke-gateway", "none"]
    namespace: str = "gateway"  # the Gateway and the load tester; must be one of trafficNamespaces
    gateway_name: str = "models"
    gateway_class: WeightedGatewayClass = "gke-l7-global-external-managed"
    # Reserve a global static IP address with this name for the Gateway (global class only); null lets the
    # load balancer take an ephemeral address.
    static_ip_name: str | None = None
    tls: TlsSettings | None = None
    # Each model is served at <model>.<hostnameSuffix>; required with a Gateway (addons_problems): without
    # it every model's route would match every host and only the oldest route would get traffic.
    hostname_suffix: str = ""

    _names = field_validator("namespace", "gateway_name")(_dns_label)

    @field_validator("static_ip_name")
    @classmethod
    def _address_name(cls, value: str | None) -> str | None:
        if value is not None and not GCP_RESOURCE_NAME.match(value):
            raise Invalid(f"{value!r} is not a GCP address name", "lowercase letters, digits, '-'")
        return value

    @field_validator("hostname_suffix")
    @classmethod
    def _suffix(cls, value: str) -> str:
        if not value:
            return value
        problem = hostname_problem(value)
        if problem is None and "." not in value:
            problem = f"{value!r} is a single label; the listener's wildcard *.{value} would be a top-level domain"
        if problem is None and len(value) > MAX_SUFFIX_LENGTH:
            problem = f"{value!r} leaves no room for the model name (<model>.<suffix> is at most 253 characters)"
        if problem is not None:
            raise Invalid(f"{problem}: not an RFC 1123 host name suffix", "e.g. models.dev.example.com")
        return value

    def listener(self) -> tuple[str, str, int]:
        """(name, protocol, port) of the Gateway's one listener: HTTPS only with TLS, else HTTP.
        The Gateway and every URL that goes through it (the load tester's) read it from here."""
        return ("https", "HTTPS", 443) if self.tls else ("http", "HTTP", 80)


class AddonsSettings(Spec):
    monitoring: MonitoringSettings
    flagger: FlaggerSettings
    keda: KedaSettings
    traffic: TrafficSettings
