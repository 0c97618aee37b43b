"""The registry credentials Secret of a serving component (a model's, the delivery-metrics job's), as one
resource: named `<name>-registry-credentials`, aliased to the `<name>-registry-token` it was while the pods
could sign in with a token only, so an existing stack updates the resource instead of orphaning it."""

from __future__ import annotations

import pulumi

from components.kube import kube_object


def registry_credentials_secret(name: str, manifest: dict, opts: pulumi.ResourceOptions) -> pulumi.Resource:
    aliased = pulumi.ResourceOptions(aliases=[pulumi.Alias(name=f"{name}-registry-token")])
    return kube_object(f"{name}-registry-credentials", manifest, pulumi.ResourceOptions.merge(opts, aliased))
