"""The validator the program tests rely on: strict for built-in kinds and for custom resources."""

from __future__ import annotations

import pytest

from tests.schemas import CRD_SCHEMAS, SchemaMissing, strict, validate

SERVICE_MONITOR = {
    "apiVersion": "monitoring.coreos.com/v1",
    "kind": "ServiceMonitor",
    "metadata": {"name": "churn-prediction", "namespace": "ml-churn-prediction"},
    "spec": {
        "selector": {"matchLabels": {"app.kubernetes.io/name": "churn-prediction"}},
        "endpoints": [{"port": "http-metrics", "interval": "30s"}],
    },
}


def test_unknown_field_in_a_builtin_kind_is_an_error():
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "x"},
        "spec": {"ports": [{"port": 80, "targetPort": 8080}], "selectr": {"a": "b"}},
    }
    with pytest.raises(Exception, match="selectr"):
        validate(service, "1.33")


def test_strict_closes_objects_that_list_their_properties_but_not_preserved_ones():
    schema = strict(
        {
            "type": "object",
            "properties": {
                "a": {"type": "object", "properties": {"b": {}}},
                "c": {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {"d": {}}},
            },
        }
    )
    assert schema["additionalProperties"] is False
    assert schema["properties"]["a"]["additionalProperties"] is False
    assert "additionalProperties" not in schema["properties"]["c"]


def test_custom_resources_are_validated_strictly_against_the_vendored_crd_schemas():
    assert CRD_SCHEMAS.is_dir(), f"{CRD_SCHEMAS} is absent: the vendored schemas are part of the repository"
    validate(SERVICE_MONITOR, "1.33")
    typo = {**SERVICE_MONITOR, "spec": {**SERVICE_MONITOR["spec"], "endpoint": []}}
    with pytest.raises(Exception, match="endpoint"):
        validate(typo, "1.33")


def test_a_kind_without_any_schema_cannot_pass_silently():
    with pytest.raises(SchemaMissing):
        validate({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}, "1.33")


def test_strict_leaves_value_constraints_in_junctors_open():
    """A oneOf branch listing one field still allows the item's other fields; the item itself stays closed."""
    schema = strict(
        {
            "type": "object",
            "properties": {"type": {}, "value": {}},
            "oneOf": [{"properties": {"type": {"enum": ["IPAddress"]}}}, {"properties": {"type": {"not": {}}}}],
        }
    )
    assert schema["additionalProperties"] is False
    assert all("additionalProperties" not in branch for branch in schema["oneOf"])
