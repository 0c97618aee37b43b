"""Evaluates a ValidatingAdmissionPolicy's CEL for real (cel-python), the way the API server does:
variables in order, each seeing the ones before, then every validation."""

from __future__ import annotations

from typing import Any

import celpy
from celpy import celtypes

_ENV = celpy.Environment()

# Plural resource names the policies match, by kind.
RESOURCES = {
    "Pod": ("", "pods"),
    "Deployment": ("apps", "deployments"),
    "StatefulSet": ("apps", "statefulsets"),
    "DaemonSet": ("apps", "daemonsets"),
    "ReplicaSet": ("apps", "replicasets"),
    "Job": ("batch", "jobs"),
    "CronJob": ("batch", "cronjobs"),
}


def typed(value: Any) -> Any:
    """Wire numbers are doubles; the API server's typed object has int64 where the schema says integer."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return value


def matches(policy: dict, obj: dict) -> bool:
    group, resource = RESOURCES[obj["kind"]]
    return any(
        group in rule["apiGroups"] and resource in rule["resources"] and "CREATE" in rule["operations"]
        for rule in policy["spec"]["matchConstraints"]["resourceRules"]
    )


def failed_messages(policy: dict, obj: dict) -> list[str]:
    """The messages of the validations that refuse `obj` (empty: admitted)."""
    activation: dict[str, Any] = {"object": celpy.json_to_cel(typed(obj))}
    variables: dict[str, Any] = {}
    for variable in policy["spec"].get("variables", []):
        program = _ENV.program(_ENV.compile(variable["expression"]))
        variables[variable["name"]] = program.evaluate(
            {**activation, "variables": celtypes.MapType({celtypes.StringType(k): v for k, v in variables.items()})}
        )
    activation["variables"] = celtypes.MapType({celtypes.StringType(k): v for k, v in variables.items()})
    failed = []
    for validation in policy["spec"]["validations"]:
        result = _ENV.program(_ENV.compile(validation["expression"])).evaluate(activation)
        if not isinstance(result, celtypes.BoolType):
            raise AssertionError(f"{validation['expression']!r} evaluated to {result!r}, not a bool")
        if not result:
            failed.append(validation["message"])
    return failed
