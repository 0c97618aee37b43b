"""The offline copy of pulumi-kubernetes' renderYamlToDirectory: file names and go-yaml v2's output rules
(provider.go renderPathForResource/renderYaml; sigs.k8s.io/yaml JSONToYAML; go-yaml v2 sorter.go, encode.go)."""

from __future__ import annotations

from pathlib import PurePosixPath

import yaml

from ops.offline.rendered_manifests import go_yaml_key, render_file, render_yaml


def test_file_names_follow_the_provider():
    application = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "m", "namespace": "argocd"},
    }
    assert render_file(application) == PurePosixPath("1-manifest/argoproj.io_v1alpha1-application-argocd-m.yaml")
    cluster_scoped = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml-x"}}
    assert render_file(cluster_scoped) == PurePosixPath("1-manifest/v1-namespace-default-ml-x.yaml")
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "c.flagger.app"},
    }
    assert render_file(crd).parts[0] == "0-crd"


def test_keys_sort_naturally_like_go_yaml():
    keys = ["ab", "a10", "aB", "a2", "a_b", "a-b", "A", "a1"]
    assert sorted(keys, key=go_yaml_key) == ["A", "a-b", "a_b", "a1", "a2", "a10", "aB", "ab"]


def test_scalars_are_quoted_only_where_go_yaml_would_read_another_type():
    text = render_yaml(
        {
            "spec": {
                "replicas": 3.0,
                "ratio": 0.5,
                "port": "8080",
                "on": "yes",
                "flag": "y",
                "empty": "",
                "plain": "/v2/health",
            },
            "apiVersion": "v1",
            "list": ["a: b", {"k": None}],
            "script": "line one\nline two",
        }
    )
    assert text == (
        "apiVersion: v1\n"
        "list:\n"
        "- 'a: b'\n"
        "- k: null\n"
        "script: |-\n"
        "  line one\n"
        "  line two\n"
        "spec:\n"
        '  empty: ""\n'
        '  flag: "y"\n'
        '  "on": "yes"\n'
        "  plain: /v2/health\n"
        '  port: "8080"\n'
        "  ratio: 0.5\n"
        "  replicas: 3\n"
    )
    assert yaml.safe_load(text)["spec"]["port"] == "8080"
