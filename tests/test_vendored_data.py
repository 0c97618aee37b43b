"""tests/data/ is self-contained and reproducible: every file is the bytes tests/data/sources.json records,
the CRD converter reproduces the vendored Flagger schemas from Flagger's own CRD file, and regenerating
from a local clone reads the pinned commit and writes nothing when a source cannot give a file."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.schemas import CRD_SCHEMAS
from tools.crd_to_json_schema import main as convert_main
from tools.crd_to_json_schema import schemas
from tools.vendor_test_data import DATA_DIR, SourceError, load_sources, problems, regenerate, sha256

FLAGGER_CRDS = DATA_DIR / "charts" / "flagger-1.44.0-crds.yaml"


def test_every_vendored_file_is_what_sources_json_records_and_nothing_else_is_there():
    assert problems() == []
    sources = load_sources()
    assert {entry["upstream"] for entry in sources["files"].values()} == set(sources["upstreams"])
    assert all(len(upstream["commit"]) == 40 for upstream in sources["upstreams"].values())


def test_a_changed_or_stray_file_is_reported(tmp_path):
    data = tmp_path / "data"
    (data / "charts").mkdir(parents=True)
    (data / "charts" / "x.yaml").write_text("a: 1\n")
    (data / "stray.json").write_text("{}")
    sources = {"upstreams": {}, "files": {"charts/x.yaml": {"sha256": sha256(b"a: 2\n")}, "gone.yaml": {"sha256": ""}}}
    (data / "sources.json").write_text(json.dumps(sources))
    assert problems(data) == [
        "charts/x.yaml: not the bytes sources.json records (sha256 " + sha256(b"a: 2\n")[:12] + "...)",
        "gone.yaml: missing",
        "stray.json: not listed in sources.json",
    ]


def test_every_schema_the_tests_validate_against_is_vendored():
    listed = {name.removeprefix("crd-schemas/") for name in load_sources()["files"] if name.endswith(".json")}
    on_disk = {p.relative_to(CRD_SCHEMAS).as_posix() for p in CRD_SCHEMAS.rglob("*.json")}
    assert on_disk == listed and "flagger.app/canary_v1beta1.json" in on_disk


def test_the_converter_reproduces_the_vendored_flagger_schemas_byte_for_byte(tmp_path):
    assert convert_main(["--out", str(tmp_path), str(FLAGGER_CRDS)]) == 0
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.json"))
    assert written == [
        "flagger.app/alertprovider_v1beta1.json",
        "flagger.app/canary_v1beta1.json",
        "flagger.app/metrictemplate_v1beta1.json",
    ]
    for name in written:
        assert (tmp_path / name).read_bytes() == (CRD_SCHEMAS / name).read_bytes(), name


HELM_TEMPLATED_CRD = """\
{{- if .Values.crds.install }}
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  labels:
    app.kubernetes.io/name: {{ .Values.operator.name }}
    {{- include "x.labels" . | indent 4 }}
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  versions:
  - name: v1
    schema:
      openAPIV3Schema: {type: object, properties: {spec: {type: object, description: "caf\u00e9"}}}
  - name: v0
{{- end -}}
"""


def test_a_helm_templated_crd_converts_and_a_version_without_schema_gives_no_file():
    assert schemas(HELM_TEMPLATED_CRD) == {
        "example.com/widget_v1.json": {
            "type": "object",
            "properties": {"spec": {"type": "object", "description": "café"}},
        }
    }


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=env)
    return done.stdout.strip()


@pytest.fixture
def upstream_clone(tmp_path):
    """A git repository whose pinned commit has a CRD and a values file, and a later commit that changes them."""
    repo = tmp_path / "upstream"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "crd.yaml").write_text(HELM_TEMPLATED_CRD)
    (repo / "values.yaml").write_text("replicas: 1\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "pinned")
    pinned = _git(repo, "rev-parse", "HEAD")
    (repo / "values.yaml").write_text("replicas: 2\n")
    _git(repo, "commit", "-qam", "later")
    data = tmp_path / "data"
    data.mkdir()
    files = {
        "charts/w-values.yaml": {"upstream": "w", "path": "values.yaml", "convert": "copy", "sha256": ""},
        "crd-schemas/example.com/widget_v1.json": {"upstream": "w", "path": "crd.yaml", "convert": "crd-schema"},
    }
    sources = {"upstreams": {"w": {"repo": "example/w", "commit": pinned}}, "files": files}
    (data / "sources.json").write_text(json.dumps(sources))
    return repo, data


def test_regenerating_reads_the_pinned_commit_not_the_checkout_and_records_the_hashes(upstream_clone):
    repo, data = upstream_clone
    assert regenerate({"w": repo}, data) == ["charts/w-values.yaml", "crd-schemas/example.com/widget_v1.json"]
    assert (data / "charts" / "w-values.yaml").read_text() == "replicas: 1\n"
    assert json.loads((data / "crd-schemas" / "example.com" / "widget_v1.json").read_text())["type"] == "object"
    assert problems(data) == []
    assert regenerate({"w": repo}, data) == []  # deterministic: a second run changes nothing


def test_a_source_without_the_pinned_file_writes_nothing(upstream_clone):
    repo, data = upstream_clone
    sources = json.loads((data / "sources.json").read_text())
    sources["files"]["charts/absent.yaml"] = {"upstream": "w", "path": "absent.yaml", "convert": "copy", "sha256": ""}
    (data / "sources.json").write_text(json.dumps(sources))
    before = (data / "sources.json").read_bytes()
    with pytest.raises(SourceError, match=r"no absent.yaml at commit [0-9a-f]{40}"):
        regenerate({"w": repo}, data)
    assert sorted(p.name for p in data.rglob("*")) == ["sources.json"]
    assert (data / "sources.json").read_bytes() == before
