"""What the offline render writes is itself valid: every object file, Secrets included, is strictly valid
against its schema with the secret values masked (a masked Secret keeps its map of keys), and no secret
value reaches a file."""

from __future__ import annotations

import pytest
import yaml
from pulumi.runtime import rpc

from ops.offline.render import _write
from ops.offline.wire_values import mask
from ops.stack_config import load_stack_config
from settings.stack import config_key
from tests.conftest import PROJECT_DIR, STACKS
from tests.schemas import validate


def _secret(value):
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


def test_a_secret_map_keeps_its_keys_and_loses_its_values():
    manifest = {
        "kind": "Secret",
        "metadata": {"name": "argocd-redis"},
        "stringData": _secret({"auth": "pw-1", "nested": {"a": "x"}, "list": ["y", _secret("z")]}),
        "type": "Opaque",
    }
    assert mask(manifest) == {
        "kind": "Secret",
        "metadata": {"name": "argocd-redis"},
        "stringData": {"auth": "[secret]", "nested": {"a": "[secret]"}, "list": ["[secret]", "[secret]"]},
        "type": "Opaque",
    }
    assert mask({"token": _secret("tok"), "plain": 3}) == {"token": "[secret]", "plain": 3}


def _rendered(run, directory) -> list[tuple[str, dict]]:
    _write(run, directory)
    return [
        (p.relative_to(directory).as_posix(), yaml.safe_load(p.read_text())) for p in sorted(directory.rglob("*.yaml"))
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_every_rendered_file_secrets_included_is_strictly_valid(stack_runs, stack, tmp_path):
    run = stack_runs[stack]
    version = load_stack_config(PROJECT_DIR, stack).values[config_key("kubernetesVersion")]
    rendered = _rendered(run, tmp_path)
    assert len(rendered) == len(run.kubernetes_objects())
    for path, manifest in rendered:
        try:
            validate(manifest, version)
        except Exception as error:
            raise AssertionError(f"{stack}: {path}: {error}") from None
    secrets = {m["metadata"]["name"]: m for _, m in rendered if m["kind"] == "Secret"}
    if stack == "local":  # no Argo CD, no registry token, no own MLflow server (off by default)
        assert secrets == {}
        return
    assert secrets["argocd-redis"]["stringData"] == {"auth": "[secret]"}
