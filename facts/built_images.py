"""Container images built from this repository (not pulled from upstream), and how CI builds them.

Each is built with the repository root as the build context (`docker build -f <dockerfile> .`), so it
can copy the shared `facts` package, and pushed to the stack's image registry as `<name>:<tag>`: on GKE
stacks the Artifact Registry repository `<region>-docker.pkg.dev/<project>/<imageRepository>`, elsewhere
the registry the stack's `quality.imageRegistry` names (settings/quality.py).

Bump IMAGE_TAG when the code or requirements of an image change: stacks pull `<name>:<IMAGE_TAG>`
unless their `quality.imageTag` pins another tag (e.g. a commit SHA that CI also pushed).
"""

from __future__ import annotations

from dataclasses import dataclass

IMAGE_TAG = "0.2.0"  # 0.2.0: off-path quality recording, request validation, the batch runner, streaming monitor


@dataclass(frozen=True)
class BuiltImage:
    name: str  # the repository name under the stack's image registry
    dockerfile: str  # path from the repository root
    tag: str = IMAGE_TAG
    # The build context CI passes (.github/workflows/images.yml, through `python -m ops image-targets`):
    # the repository root, since every Dockerfile copies the shared facts/ package.
    context: str = "."

    def at(self, registry: str, tag: str = "") -> str:
        """The full reference in `registry` (no registry: a local name, e.g. loaded with `kind load`)."""
        reference = f"{self.name}:{tag or self.tag}"
        return f"{registry.rstrip('/')}/{reference}" if registry else reference


# MLServer 1.7.1 with its MLflow runtime and this project's quality runtime (serving_runtime/).
SERVING_RUNTIME_IMAGE = BuiltImage("mlserver-quality", "serving_runtime/Dockerfile")
# The per-model drift and accuracy monitor (quality_monitor/), run by a CronJob.
QUALITY_MONITOR_IMAGE = BuiltImage("quality-monitor", "quality_monitor/Dockerfile")

# The delivery-metrics job (python -m ops metrics --push, ops/metrics/), run hourly by a CronJob.
DELIVERY_METRICS_IMAGE = BuiltImage("delivery-metrics", "delivery_metrics/Dockerfile")

BUILT_IMAGES: tuple[BuiltImage, ...] = (SERVING_RUNTIME_IMAGE, QUALITY_MONITOR_IMAGE, DELIVERY_METRICS_IMAGE)
