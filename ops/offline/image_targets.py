"""`python -m ops image-targets`: where CI pushes the images built from this repository, per stack.

A stack pulls `<its image registry>/<name>:<tag>` (plan/serving.py, plan/quality_monitor.py): the
registry is `StackSettings.image_registry` (the stack's Artifact Registry repository unless
`quality.imageRegistry` names another), the tag `quality.imageTag` or facts/built_images.py IMAGE_TAG.
images.yml asks this command instead of rebuilding those rules in shell, so what CI pushes is, by
construction, what every stack pulls; the commit SHA is pushed too, for pinning with `quality.imageTag`.
Stacks without a registry (the local kind stack loads images with `kind load`) get nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from facts.built_images import BUILT_IMAGES, BuiltImage
from ops.offline.stack_settings import offline_stack_settings
from ops.stack_config import stack_names


@dataclass(frozen=True)
class StackRegistry:
    stack: str
    registry: str  # <region>-docker.pkg.dev/<project>/<repository>
    project: str  # GCP project of the stack (its Binary Authorization attestor lives there)
    attestor: str  # the stack's scanAttestor
    tag: str  # the tag the stack pulls


@dataclass(frozen=True)
class ImageTarget:
    """One image, built once, pushed to every stack's registry."""

    name: str
    dockerfile: str
    context: str  # the repository root: the Dockerfiles copy facts/ from there
    tags: tuple[str, ...]  # every full reference to push
    stacks: tuple[StackRegistry, ...]

    def to_matrix(self) -> dict:
        entry = asdict(self)
        entry["tags"] = "\n".join(self.tags)  # docker/build-push-action takes one tag a line
        entry["stacks"] = [asdict(s) for s in self.stacks]
        return entry


def stack_registries(project_dir: Path, image: BuiltImage) -> tuple[StackRegistry, ...]:
    registries = []
    for stack in stack_names(project_dir):
        settings = offline_stack_settings(project_dir, stack)
        if not settings.image_registry:
            continue
        registries.append(
            StackRegistry(
                stack=stack,
                registry=settings.image_registry,
                project=settings.cluster.project or "",
                attestor=settings.scan_attestor,
                tag=settings.quality.image_tag or image.tag,
            )
        )
    return tuple(registries)


def image_targets(project_dir: Path, commit: str) -> list[ImageTarget]:
    targets = []
    for image in BUILT_IMAGES:
        stacks = stack_registries(project_dir, image)
        tags = sorted({image.at(s.registry, tag) for s in stacks for tag in (s.tag, commit) if tag})
        targets.append(ImageTarget(image.name, image.dockerfile, image.context, tuple(tags), stacks))
    return targets


def github_matrix(targets: list[ImageTarget]) -> str:
    """`{"include": [...]}` for `strategy.matrix: ${{ fromJSON(...) }}`."""
    return json.dumps({"include": [t.to_matrix() for t in targets]}, sort_keys=True)
