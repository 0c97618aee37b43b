"""Image rules: no untagged or `latest` images; in production, images pinned by digest."""

from __future__ import annotations

from guardrails.k8s_checks import pinned_by_digest, tagged_not_latest
from guardrails.rule import GuardContext, Rule
from guardrails.subject import Subject
from guardrails.violation import Finding


def _image_tag(subject: Subject, context: GuardContext) -> list[Finding]:
    findings = []
    for c in subject.containers():
        image = str(c.get("image") or "")
        if not image:
            findings.append(Finding(subject.label, f"container '{c.get('name')}' names no image", "set its image"))
        elif not tagged_not_latest(image):
            findings.append(
                Finding(
                    subject.label,
                    f"container '{c.get('name')}' image '{image}' is untagged or 'latest'",
                    "pin a release tag (e.g. :1.7.1) or a digest (@sha256:...)",
                )
            )
    return findings


def _image_digest(subject: Subject, context: GuardContext) -> list[Finding]:
    if not context.production:
        return []
    return [
        Finding(
            subject.label,
            f"container '{c.get('name')}' image '{c.get('image')}' is not pinned by digest in production",
            "append the image's digest: <image>:<tag>@sha256:<digest> (crane digest <image>:<tag>)",
        )
        for c in subject.containers()
        if c.get("image") and not pinned_by_digest(str(c["image"]))
    ]


IMAGE_TAG = Rule(
    "image-tag", "Every container image carries a tag other than 'latest' (or a digest).", resource_check=_image_tag
)
IMAGE_DIGEST = Rule(
    "image-digest", "In production, every container image is pinned by digest.", resource_check=_image_digest
)
