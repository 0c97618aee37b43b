"""Adds the stack's team and cost-centre labels to every GCP resource that takes labels, wherever in the
program it is created, so no component has to thread them through (and none can forget them).

A stack transformation sees each resource's Python arguments before registration; the table of which
types take labels, and where, is guardrails.rules_gcp_labels.LABELLED_TYPES (the rule reads it too).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pulumi

from guardrails.rules_gcp_labels import labelled_type


def with_labels(props: dict[str, Any], path: tuple[str, ...], labels: Mapping[str, str]) -> dict[str, Any] | None:
    """props with `labels` merged at `path` (the resource's own labels win); None when a step on the way
    is not a plain dict (an Args object or an Output), which the guardrail then reports."""
    updated = dict(props)
    target: dict[str, Any] = updated
    for key in path[:-1]:
        child = target.get(key)
        if not isinstance(child, dict):
            return None
        target[key] = dict(child)
        target = target[key]
    existing = target.get(path[-1]) or {}
    if not isinstance(existing, dict):
        return None
    target[path[-1]] = {**labels, **existing}
    return updated


def cost_labels_transformation(
    labels: Mapping[str, str],
) -> Callable[[pulumi.ResourceTransformationArgs], pulumi.ResourceTransformationResult | None]:
    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        spec = labelled_type(args.type_)
        if spec is None:
            return None
        props = with_labels(dict(args.props), spec.python_path, labels)
        return None if props is None else pulumi.ResourceTransformationResult(props, args.opts)

    return transform
