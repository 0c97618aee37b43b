"""Binary Authorization admits what the platform runs, and nothing broader.

Before: prod enforced the policy with an allowlist of GKE's own images only, and nothing attested any
image, so every add-on image and every model image would have been refused on the first `up`. Now the
pinned charts' images and the upstream runtimes are allowlisted by exact repository
(facts/upstream_images.py), and our own images are attested by images.yml (tests/test_images_build.py
checks it pushes what the stacks pull)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from components.gcp.binary_authorization import GKE_SYSTEM_IMAGES
from facts.built_images import BUILT_IMAGES
from facts.charts import CHARTS
from facts.upstream_images import ADDON_IMAGES, DEFAULT_ALLOWLIST, SUBCHART, UPSTREAM_IMAGES
from ops.offline.engine import run_program
from ops.offline.stack_settings import offline_stack_settings
from settings.stack import config_key
from tests.conftest import PROJECT_DIR, own_server_config
from tests.test_images_build import pulled_images

CHART_VALUES = PROJECT_DIR / "tests" / "data" / "charts"
POLICY = "gcp:binaryauthorization/policy:Policy"


def admits(pattern: str, image: str) -> bool:
    """AdmissionWhitelistPattern.namePattern: a trailing `**` matches across path segments, a trailing
    `*` within one (it never matches `/`), anything else is exact."""
    if pattern.endswith("**"):
        return image.startswith(pattern[:-2])
    if pattern.endswith("*"):
        prefix = pattern[:-1]
        return image.startswith(prefix) and "/" not in image[len(prefix) :]
    return image == pattern


def admitted(patterns, image: str) -> bool:
    return any(admits(p, image) for p in patterns)


def test_the_matcher_follows_the_documented_semantics():
    assert admits("gcr.io/nginx*", "gcr.io/nginx@latest") and not admits("gcr.io/nginx*", "gcr.io/nginx/image")
    assert admits("gcr.io/nginx**", "gcr.io/nginx/image")
    assert admits("quay.io/prometheus/prometheus:*", "quay.io/prometheus/prometheus:v3.14.0-distroless")
    assert not admits("quay.io/prometheus/prometheus:*", "quay.io/prometheus/prometheus-evil:v1")


def value_images(values) -> list[tuple[str, str]]:
    """(values key, registry/repository) of every image stanza a chart's default values hold."""
    found = []

    def walk(node, path):
        if isinstance(node, dict):
            repository = node.get("repository")
            is_image = "tag" in node or "registry" in node or path.rsplit(".", 1)[-1].lower().endswith("image")
            if isinstance(repository, str) and repository and is_image:
                registry = node.get("registry")
                found.append((path, f"{registry}/{repository}" if registry else repository))
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list):
            for value in node:
                walk(value, path)

    walk(values, "")
    return found


def chart_values(chart) -> dict:
    return yaml.safe_load((CHART_VALUES / f"{chart.chart}-{chart.version}-values.yaml").read_text())


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.chart)
def test_every_image_a_pinned_charts_default_values_name_is_allowlisted_and_in_the_table(chart):
    images = value_images(chart_values(chart))
    assert images, f"{chart.chart}: no image found in its default values"
    table = {(i.where, i.repository) for i in ADDON_IMAGES if i.used_by == f"{chart.chart}-{chart.version}"}
    for where, repository in images:
        assert admitted(DEFAULT_ALLOWLIST, f"{repository}:1.0.0"), f"{chart.chart} {where}: {repository} refused"
        assert (where, repository) in table, (
            f"{chart.chart} {where}: {repository} missing from facts/upstream_images.py"
        )


def test_the_table_names_only_images_the_values_really_hold():
    by_chart = {f"{c.chart}-{c.version}": set(value_images(chart_values(c))) for c in CHARTS}
    for image in ADDON_IMAGES:
        if image.source == SUBCHART:
            continue  # not vendored: said so in the table and the README
        assert (image.where, image.repository) in by_chart[image.used_by], image


def test_nothing_broader_than_one_repository_is_allowlisted():
    for pattern in DEFAULT_ALLOWLIST:
        assert pattern.endswith(":*") and "**" not in pattern, pattern
        registry, _, path = pattern[:-2].partition("/")
        assert "." in registry and path, f"{pattern}: a whole registry"
        repository = pattern[:-2]
        assert not admits(pattern, f"{repository}-other:1") and not admits(pattern, f"{repository}/other:1")
    assert len(DEFAULT_ALLOWLIST) == len({i.repository for i in UPSTREAM_IMAGES})
    for broad in ("docker.io/*", "docker.io/**", "quay.io/**", "ghcr.io/**", "registry.k8s.io/**"):
        assert broad not in DEFAULT_ALLOWLIST


def _images_admitted(stack: str, run) -> int:
    """Asserts every image `run` pulls is allowlisted or attested (ours); returns how many were checked."""
    built = {image.name for image in BUILT_IMAGES}
    (policy,) = run.by_type(POLICY)
    patterns = [p["namePattern"] for p in policy.inputs["admissionWhitelistPatterns"]]
    assert patterns[: len(GKE_SYSTEM_IMAGES)] == list(GKE_SYSTEM_IMAGES)
    assert set(DEFAULT_ALLOWLIST) <= set(patterns)
    registry = offline_stack_settings(PROJECT_DIR, stack).image_registry
    checked = 0
    for image in pulled_images(run):
        checked += 1
        name = image.rsplit(":", 1)[0].rsplit("/", 1)[-1]
        if name in built and image.startswith(f"{registry}/"):
            # Not allowlisted: images.yml signs the stack's scanAttestor attestation for its digest.
            assert not admitted(patterns, image), f"{stack}: {image} bypasses the attestation"
            continue
        assert admitted(patterns, image), f"{stack}: Binary Authorization refuses {image}"
    return checked


def test_every_image_each_gke_stack_runs_is_allowlisted_or_attested(stack_runs):
    checked = sum(_images_admitted(stack, run) for stack, run in stack_runs.items() if run.by_type(POLICY))
    assert checked > 10


def test_the_optional_data_services_images_are_admitted_on_prod(mlflow_server):
    """The MLflow server (Cloud SQL Auth Proxy sidecar) and the Feast feature server are off on every
    committed stack, so the test above never sees their images: prod with both on."""
    overrides = {config_key("featureStore"): json.dumps({"enabled": True})}
    run = run_program(PROJECT_DIR, own_server_config("prod", mlflow_server.uri, overrides))
    images = list(pulled_images(run))
    assert any("cloud-sql-proxy" in i for i in images) and any("feature-server" in i for i in images), images
    assert _images_admitted("prod", run) == len(images)


def test_every_runtime_image_is_admitted():
    from facts.runtimes import DOWNLOADER_IMAGE, MLSERVER, TRITON, VLLM

    for image in (TRITON.image, VLLM.image, DOWNLOADER_IMAGE):
        assert admitted(DEFAULT_ALLOWLIST, image), image
    assert MLSERVER.built_image is not None  # ours: attested, never allowlisted
    assert not admitted(DEFAULT_ALLOWLIST, MLSERVER.built_image.at("us-central1-docker.pkg.dev/p/model-serving"))


def test_the_vendored_values_are_the_shared_ones():
    shared = Path(PROJECT_DIR.parent.parent / "shared" / "charts")
    if not shared.is_dir():
        pytest.skip("../shared/charts is absent")
    for chart in CHARTS:
        name = f"{chart.chart}-{chart.version}-values.yaml"
        assert (CHART_VALUES / name).read_bytes() == (shared / name).read_bytes()
