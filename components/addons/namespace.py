"""An add-on's namespace as a typed Namespace resource (its name is what charts and objects are placed in)."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from manifests.addons.namespaces import PodSecurityLevel, addon_namespace_manifest


def addon_namespace(
    resource_name: str, namespace: str, level: PodSecurityLevel, opts: pulumi.ResourceOptions
) -> k8s.core.v1.Namespace:
    manifest = addon_namespace_manifest(namespace, level)
    return k8s.core.v1.Namespace(resource_name, metadata=manifest["metadata"], opts=opts)
