"""Turns a manifest dict from a pure builder into the matching pulumi_kubernetes resource.

One mapping for every kind we emit keeps builders free of Pulumi types (so they can be validated
against the OpenAPI schema as plain data) and components free of field-by-field copying.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

_KINDS: dict[tuple[str, str], Any] = {
    ("v1", "Namespace"): k8s.core.v1.Namespace,
    ("v1", "ServiceAccount"): k8s.core.v1.ServiceAccount,
    ("v1", "Secret"): k8s.core.v1.Secret,
    ("v1", "Service"): k8s.core.v1.Service,
    ("v1", "ConfigMap"): k8s.core.v1.ConfigMap,
    ("v1", "PersistentVolumeClaim"): k8s.core.v1.PersistentVolumeClaim,
    ("apps/v1", "Deployment"): k8s.apps.v1.Deployment,
    ("apps/v1", "StatefulSet"): k8s.apps.v1.StatefulSet,
    ("autoscaling/v2", "HorizontalPodAutoscaler"): k8s.autoscaling.v2.HorizontalPodAutoscaler,
    ("policy/v1", "PodDisruptionBudget"): k8s.policy.v1.PodDisruptionBudget,
    ("networking.k8s.io/v1", "NetworkPolicy"): k8s.networking.v1.NetworkPolicy,
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingAdmissionPolicy",
    ): k8s.admissionregistration.v1.ValidatingAdmissionPolicy,
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingAdmissionPolicyBinding",
    ): k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding,
    ("rbac.authorization.k8s.io/v1", "Role"): k8s.rbac.v1.Role,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): k8s.rbac.v1.RoleBinding,
    ("batch/v1", "CronJob"): k8s.batch.v1.CronJob,
}


def _is_custom(api_version: str) -> bool:
    """A kind from a CRD: its API group is a domain name (flagger.app, keda.sh, gateway.networking.k8s.io,
    ...). Built-in kinds all have a class in _KINDS; a built-in one missing there is an error below."""
    group = api_version.rpartition("/")[0]
    return "." in group and group not in _BUILT_IN_GROUPS


# Built-in API groups whose names look like domains: never custom resources.
_BUILT_IN_GROUPS = frozenset({"networking.k8s.io", "rbac.authorization.k8s.io", "admissionregistration.k8s.io"})

# Top-level manifest keys -> the Python SDK's argument names.
_ARGUMENTS = {
    "metadata": "metadata",
    "spec": "spec",
    "data": "data",
    "stringData": "string_data",
    "type": "type",
    "automountServiceAccountToken": "automount_service_account_token",
    "rules": "rules",
    "roleRef": "role_ref",
    "subjects": "subjects",
}


def kube_object(name: str, manifest: dict, opts: pulumi.ResourceOptions) -> Any:
    """`manifest` is a plain dict whose leaves may be Outputs (a secret, a resolved version). Returns the
    kind's own resource class (Namespace, Deployment, ...): typed Any, as the class depends on the dict."""
    key = (manifest["apiVersion"], manifest["kind"])
    if key not in _KINDS and _is_custom(key[0]):
        fields = {k: v for k, v in manifest.items() if k not in ("apiVersion", "kind")}
        return k8s.apiextensions.CustomResource(name, api_version=key[0], kind=key[1], opts=opts, **fields)
    if key not in _KINDS:
        raise ValueError(f"no resource class registered for {key[0]} {key[1]}; add it to _KINDS")
    arguments = {}
    for field, value in manifest.items():
        if field in ("apiVersion", "kind"):
            continue
        if field not in _ARGUMENTS:
            raise ValueError(f"{key[1]} manifest field {field!r} has no SDK argument; add it to _ARGUMENTS")
        arguments[_ARGUMENTS[field]] = value
    return _KINDS[key](name, **arguments, opts=opts)
