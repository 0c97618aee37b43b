"""The preview benchmark's code on 3 models (timings are not tests: this checks it runs and what it compares)."""

from __future__ import annotations

from benchmarks.bench_preview import main


def test_the_preview_benchmark_compares_the_scoped_path_with_the_whole_one(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # a closed port: nothing may need it
    report = tmp_path / "benchmarks.md"
    report.write_text("# Benchmarks\n")
    (row,) = main(["--models", "3", "--stacks", "dev", "--write", str(report)])
    # It raised had the two paths reported other changes; here the one changed model's updates.
    assert row["changed"] >= 1
    assert row["scoped_models"] == 1 and row["scoped_resources"] < row["resources"]
    assert row["cost_agrees"]
    assert len(row["whole"]) == 5  # cost x2, base render, head preview, comment
    text = report.read_text()
    assert "| 3 | dev |" in text and "PREVIEW RESULTS BEGIN" in text
