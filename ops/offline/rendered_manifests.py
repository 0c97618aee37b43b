"""The files a pulumi-kubernetes provider with `renderYamlToDirectory` writes, computed offline.

So `python -m ops render` lays out gitops-mode objects exactly where `pulumi up` would, for the model's
Argo CD Application to point at. Layout and serialisation follow pulumi-kubernetes v4.32
(provider/pkg/provider/provider.go `renderPathForResource`, `renderYaml`): `<dir>/1-manifest/` (CRDs in
`<dir>/0-crd/`), file `<apiVersion with / and : as _>-<kind lowercased>-<namespace or default>-<name>.yaml`,
content `sigs.k8s.io/yaml.JSONToYAML(json.Marshal(object))`, i.e. go-yaml v2: keys in its natural order
(`go_yaml_key`), 2-space block style, strings quoted only where go-yaml would read them as another type.
The YAML is an emulation in Python, checked by parsing back (tests/test_gitops_program.py), not
compared with a real provider's bytes here (no Pulumi CLI in this environment).
"""

from __future__ import annotations

import functools
from pathlib import PurePosixPath
from typing import Any

import yaml

CRD = ("apiextensions.k8s.io/v1", "CustomResourceDefinition")
# YAML 1.1 booleans go-yaml v2 resolves that PyYAML's resolver does not.
_GO_ONLY_BOOLS = {"y", "Y", "n", "N"}


def render_file(manifest: dict) -> PurePosixPath:
    """The path of an object's file inside its provider's renderYamlToDirectory."""
    metadata = manifest.get("metadata") or {}
    api_version = manifest["apiVersion"]
    sanitised = api_version.replace("/", "_").replace(":", "_")
    name = f"{sanitised}-{manifest['kind'].lower()}-{metadata.get('namespace') or 'default'}-{metadata['name']}.yaml"
    folder = "0-crd" if (api_version, manifest["kind"]) == CRD else "1-manifest"
    return PurePosixPath(folder) / name


def _go_yaml_less(a: str, b: str) -> bool:
    """go-yaml v2 sorter.go keyList.Less for two string keys (digit runs compare as numbers)."""
    for i in range(min(len(a), len(b))):
        if a[i] == b[i]:
            continue
        a_letter, b_letter = a[i].isalpha(), b[i].isalpha()
        if a_letter and b_letter:
            return a[i] < b[i]
        if a_letter or b_letter:
            return b_letter
        an = bn = 0
        if a[i] == "0" or b[i] == "0":
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdigit():
            an = an * 10 + int(a[ai])
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdigit():
            bn = bn * 10 + int(b[bi])
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return a[i] < b[i]
    return len(a) < len(b)


def _go_yaml_cmp(a: str, b: str) -> int:
    return -1 if _go_yaml_less(a, b) else (1 if _go_yaml_less(b, a) else 0)


go_yaml_key = functools.cmp_to_key(_go_yaml_cmp)


def _as_go_would(value: Any) -> Any:
    """Key order of go-yaml, and JSON numbers as Go prints them (Pulumi sends every number as a float)."""
    if isinstance(value, dict):
        return {k: _as_go_would(value[k]) for k in sorted(value, key=go_yaml_key)}
    if isinstance(value, list):
        return [_as_go_would(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class _GoYamlDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """libyaml's emitter when PyYAML has it (the same text as the Python one, as ops/offline/render.py's YAML_DUMPER;
    the golden renders hold gitops objects): the Python emitter was 3.3 s of a 20-model dev render."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    resolved = dumper.resolve(yaml.ScalarNode, value, (True, False))
    if resolved != "tag:yaml.org,2002:str" or value in _GO_ONLY_BOOLS or value == "":
        # go-yaml v2 stringv: a string that would read back as another type is double-quoted.
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_GoYamlDumper.add_representer(str, _represent_str)


def render_yaml(manifest: dict) -> str:
    return yaml.dump(_as_go_would(manifest), Dumper=_GoYamlDumper, sort_keys=False, allow_unicode=True)
