"""Bad `quality` values through the whole program: one problem each, naming the stack file, the key and
the fix, and nothing registered. Wrong types, unknown keys, a tag over the OCI length limit, and registry
prefixes or tags no container runtime would pull."""

from __future__ import annotations

from tests.settings_refusals import refused_with

KEY = "Pulumi.dev.yaml: mlops-platform:quality"


def test_wrong_types():
    assert refused_with("dev", quality={"imageTag": 123}) == [f"{KEY}.imageTag: 123 is not text (fix: write text)"]
    assert refused_with("dev", quality=["x"]) == [f"{KEY}: ['x'] is not a mapping (fix: write a mapping)"]


def test_unknown_keys_get_a_did_you_mean():
    assert refused_with("dev", quality={"imageRegistery": "europe-docker.pkg.dev/p/r"}) == [
        f"{KEY}.imageRegistery: unknown key (fix: did you mean 'imageRegistry'? remove it or use one of: "
        "imageRegistry, imageTag)"
    ]


def test_a_tag_longer_than_the_oci_limit():
    assert refused_with("dev", quality={"imageTag": "v" * 129}) == [
        f"{KEY}.imageTag: the tag is 129 characters long; an image tag has at most 128 (fix: use a shorter tag)"
    ]


def test_image_references_no_runtime_would_pull():
    assert refused_with(
        "dev", quality={"imageRegistry": "https://Europe-docker.pkg.dev/p", "imageTag": "v1:latest"}
    ) == [
        f"{KEY}.imageRegistry: 'https://Europe-docker.pkg.dev/p' is not a registry prefix (fix: host[/path] without "
        "scheme or tag, e.g. europe-west4-docker.pkg.dev/my-project/model-serving)",
        f"{KEY}.imageTag: 'v1:latest' is not an image tag (fix: letters, digits, '_', '.', '-', e.g. 0.1.0)",
    ]
