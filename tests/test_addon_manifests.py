"""The add-ons' plain objects (Gateway, namespaces, Grafana's admin Secret), strictly valid against their
schemas and carrying the choices that make GKE's controller and Flagger work."""

from __future__ import annotations

import pytest

from manifests.addons.gateway import gateway_manifest
from manifests.addons.kube_prometheus_stack import grafana_admin_secret_manifest
from manifests.addons.namespaces import addon_namespace_manifest
from settings.addons import TrafficSettings
from tests.schemas import validate

K8S = "1.33"


def _traffic(**fields) -> TrafficSettings:
    return TrafficSettings.model_validate({"layer": "gke-gateway", **fields})


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"hostnameSuffix": "models.example.com", "staticIpName": "models-ip"},
        {"hostnameSuffix": "models.example.com", "tls": {"preSharedCertificates": ["models-a", "models-b"]}},
        {"gatewayClass": "gke-l7-rilb"},
    ],
)
def test_gateway_is_strictly_valid(fields):
    validate(gateway_manifest(_traffic(**fields)), K8S)


def test_gateway_uses_a_weighted_class_and_admits_routes_from_model_namespaces_only():
    gateway = gateway_manifest(_traffic())
    assert gateway["spec"]["gatewayClassName"] == "gke-l7-global-external-managed"
    (listener,) = gateway["spec"]["listeners"]
    assert (listener["protocol"], listener["port"]) == ("HTTP", 80)
    selector = listener["allowedRoutes"]["namespaces"]
    assert selector == {
        "from": "Selector",
        "selector": {"matchExpressions": [{"key": "mlops.platform/model", "operator": "Exists"}]},
    }
    assert "addresses" not in gateway["spec"]


def test_the_classic_class_without_weights_is_refused():
    with pytest.raises(ValueError, match="gatewayClass"):
        _traffic(gatewayClass="gke-l7-gxlb")


def test_tls_terminates_on_https_only_with_the_named_certificates_and_static_ip():
    gateway = gateway_manifest(
        _traffic(
            hostnameSuffix="models.example.com", staticIpName="models-ip", tls={"preSharedCertificates": ["a", "b"]}
        )
    )
    (listener,) = gateway["spec"]["listeners"]
    assert (listener["protocol"], listener["port"], listener["hostname"]) == ("HTTPS", 443, "*.models.example.com")
    assert listener["tls"] == {"mode": "Terminate", "options": {"networking.gke.io/pre-shared-certs": "a,b"}}
    assert gateway["spec"]["addresses"] == [{"type": "NamedAddress", "value": "models-ip"}]


def test_no_gateway_without_the_gke_layer():
    with pytest.raises(ValueError, match="no Gateway"):
        gateway_manifest(TrafficSettings(layer="none"))


@pytest.mark.parametrize("level", ["privileged", "baseline", "restricted"])
def test_addon_namespaces_are_valid_and_enforce_their_level(level):
    namespace = addon_namespace_manifest("monitoring", level)
    validate(namespace, K8S)
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == level
    assert "mlops.platform/model" not in namespace["metadata"]["labels"]  # the Gateway admits no routes from it


def test_grafana_admin_secret_is_valid_with_the_charts_keys():
    secret = grafana_admin_secret_manifest("grafana-admin", "monitoring", "s3cret")
    validate(secret, K8S)
    assert set(secret["stringData"]) == {"admin-user", "admin-password"}


def test_a_misspelt_gateway_field_is_rejected_by_the_strict_schema():
    gateway = gateway_manifest(_traffic())
    gateway["spec"]["listeners"][0]["allowedRoute"] = gateway["spec"]["listeners"][0].pop("allowedRoutes")
    with pytest.raises(Exception, match="allowedRoute"):
        validate(gateway, K8S)
