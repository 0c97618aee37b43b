"""Strict schema validation of every object the program emits.

Built-in kinds: the Kubernetes OpenAPI schema at the stack's declared version (kubernetes-validate,
strict: unknown fields are errors). Custom resources: the JSON schemas vendored in
tests/data/crd-schemas/ (where each comes from: tests/data/sources.json; `make vendor` regenerates them),
made strict the way kubeconform's -strict does it (every object schema that lists its properties rejects
others, unless it says x-kubernetes-preserve-unknown-fields).
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

import jsonschema
import kubernetes_validate

PROJECT_DIR = Path(__file__).resolve().parent.parent
# MLOPS_CRD_SCHEMAS points the tests at another catalogue (a newer upstream) without re-vendoring.
CRD_SCHEMAS = Path(os.environ.get("MLOPS_CRD_SCHEMAS", PROJECT_DIR / "tests" / "data" / "crd-schemas"))


class SchemaMissing(Exception):
    """No schema for this kind anywhere: the object cannot be proven valid."""


# Branches of these only constrain values of fields the enclosing schema declares (a CRD's structural
# schema may not declare fields in them), so closing them would reject valid objects: Gateway API's
# `addresses` oneOf lists only `type` in one branch, yet `value` is a field of the item.
_JUNCTORS = ("allOf", "anyOf", "oneOf", "not")


def strict(schema, in_junctor: bool = False):
    if isinstance(schema, dict):
        schema = {k: strict(v, in_junctor or k in _JUNCTORS) for k, v in schema.items()}
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
            and not in_junctor
        ):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [strict(v, in_junctor) for v in schema]
    return schema


def crd_schema_path(api_version: str, kind: str) -> Path:
    group, _, version = api_version.rpartition("/")
    return CRD_SCHEMAS / group / f"{kind.lower()}_{version}.json"


@cache
def _crd_validator(path: Path):
    schema = strict(json.loads(path.read_text()))
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    return cls(schema)


def validate(manifest: dict, kubernetes_version: str) -> None:
    """Raises with the schema's own message when the object is invalid."""
    try:
        kubernetes_validate.validate(manifest, kubernetes_version, strict=True)
        return
    except kubernetes_validate.SchemaNotFoundError:
        pass
    path = crd_schema_path(manifest["apiVersion"], manifest["kind"])
    if not CRD_SCHEMAS.is_dir():
        raise SchemaMissing(f"CRD schemas folder {CRD_SCHEMAS} is absent")
    if not path.exists():
        raise SchemaMissing(f"no schema for {manifest['apiVersion']} {manifest['kind']} (looked for {path})")
    _crd_validator(path).validate(manifest)
