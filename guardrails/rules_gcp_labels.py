"""GCP resources that take labels carry the team and cost-centre labels billing reports group by."""

from __future__ import annotations

from dataclasses import dataclass

from guardrails.rule import GuardContext, Rule
from guardrails.subject import Subject, dig
from guardrails.violation import Finding

REQUIRED_LABELS = ("team", "cost-centre")


@dataclass(frozen=True)
class LabelledType:
    """A pulumi_gcp resource type that takes labels, and where: the wire (camelCase) path the rule reads,
    and the Python argument path the program's labelling transformation writes."""

    type: str
    wire_path: tuple[str, ...]
    python_path: tuple[str, ...]


# pulumi_gcp 10.x: Cluster.resource_labels; NodePool.node_config.resource_labels (node_config.labels are
# Kubernetes node labels, not GCP labels); Bucket.labels; Repository.labels; redis Instance.labels.
LABELLED_TYPES: tuple[LabelledType, ...] = (
    LabelledType("gcp:container/cluster:Cluster", ("resourceLabels",), ("resource_labels",)),
    LabelledType(
        "gcp:container/nodePool:NodePool", ("nodeConfig", "resourceLabels"), ("node_config", "resource_labels")
    ),
    LabelledType("gcp:storage/bucket:Bucket", ("labels",), ("labels",)),
    LabelledType("gcp:artifactregistry/repository:Repository", ("labels",), ("labels",)),
    LabelledType("gcp:redis/instance:Instance", ("labels",), ("labels",)),
)


def labelled_type(type_token: str) -> LabelledType | None:
    return next((t for t in LABELLED_TYPES if t.type == type_token), None)


def _labels(subject: Subject, context: GuardContext) -> list[Finding]:
    spec = labelled_type(subject.type)
    if spec is None:
        return []
    labels = dig(subject.plain, *spec.wire_path) or {}
    missing = [key for key in REQUIRED_LABELS if not labels.get(key)]
    if not missing:
        return []
    return [
        Finding(
            subject.label,
            f"GCP resource has no {' and no '.join(missing)} label ({'.'.join(spec.wire_path)})",
            "set guardrails.labels {team, costCentre} in the stack file: the program labels every GCP resource with them",
        )
    ]


GCP_LABELS = Rule(
    "gcp-cost-labels",
    f"GCP resources that take labels carry {' and '.join(REQUIRED_LABELS)} labels.",
    resource_check=_labels,
)
