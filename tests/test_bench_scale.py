"""Smoke test of the scale benchmark's code (benchmarks/): 3 generated models, one stack, every floor.

Timings are not asserted (CI does not run the benchmark; the machine is shared). What is asserted is
what the benchmark counts: registry requests per model at the transport, dependsOn edges linear in
the catalogue, the floors registering and emitting the very objects the render produced."""

from __future__ import annotations

from benchmarks.bench_scale import HEADER, measure, table
from benchmarks.scale_catalogue import generate_project, model_names, seed_registry


def test_benchmark_measures_a_three_model_catalogue(tmp_path, mlflow_server):
    names = model_names(3, prefix="smoke")
    seed_registry(mlflow_server.uri, names)
    project = generate_project(tmp_path / "project", names)
    row = measure(project, "local", mlflow_server.uri, tmp_path / "work", None)
    figures = row.figures
    assert figures["models"] == 3 and figures["kubernetes_objects"] > 3 * 5
    # At most 2 registry requests per model per render (alias answer + the run's metrics), counted at the transport.
    assert figures["requests"] <= 2 * 3
    assert set(figures["requests_by_endpoint"]) <= {"/registered-models/alias", "/runs/get"}
    # Edges are counted. At 3 models a square cannot show, so linearity is checked structurally in
    # tests/test_program.py (one barrier; no component waits on another model's version or serving stack);
    # here only that edges stay within a small constant per resource.
    assert 0 < figures["edges"] <= 2 * figures["resources"]
    assert row.sdk_s > 0 and row.yaml_s > 0 and row.peak_mib > 0
    if row.kustomize_s is not None:  # kubectl present: kustomize emitted the same objects
        assert row.kustomize_objects == figures["kubernetes_objects"]
    rendered = table([row]).splitlines()
    assert rendered[0].count("|") == len(HEADER) + 1 and rendered[2].startswith("| 3 | local |")
