"""The `quality` stack key: where this stack pulls the images built from this repository.

    mlops-platform:quality:
      imageRegistry: europe-west4-docker.pkg.dev/acme-ml-prod/model-serving   # optional
      imageTag: 3f9c2d1                                                        # optional

imageRegistry empty (the default): on GKE stacks the stack's own Artifact Registry repository,
`<region>-docker.pkg.dev/<project>/<imageRepository>` (created by components/gcp/model_storage.py);
on kubeconfig stacks no registry, so the images keep their local names (`kind load docker-image`).
imageTag empty: the tag in facts/built_images.py, the one CI pushes for this commit.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from core.problems import Invalid
from core.spec import Spec

# host[:port]/path, lowercase as registries require; no scheme, no tag.
_REGISTRY = re.compile(r"^[a-z0-9.-]+(:\d+)?(/[a-z0-9._-]+)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class QualitySettings(Spec):
    image_registry: str = Field(
        "", description="Registry prefix of this repository's images; empty: the stack's Artifact Registry."
    )
    image_tag: str = Field("", description="Tag of this repository's images; empty: facts/built_images.py IMAGE_TAG.")

    @field_validator("image_registry")
    @classmethod
    def _registry(cls, value: str) -> str:
        value = value.rstrip("/")
        if value and not _REGISTRY.match(value):
            raise Invalid(
                f"{value!r} is not a registry prefix",
                "host[/path] without scheme or tag, e.g. europe-west4-docker.pkg.dev/my-project/model-serving",
            )
        return value

    @field_validator("image_tag")
    @classmethod
    def _tag(cls, value: str) -> str:
        if len(value) > 128:  # the OCI distribution spec's tag grammar: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
            raise Invalid(f"the tag is {len(value)} characters long; an image tag has at most 128", "use a shorter tag")
        if value and not _TAG.match(value):
            raise Invalid(f"{value!r} is not an image tag", "letters, digits, '_', '.', '-', e.g. 0.1.0")
        return value
