"""Quality-monitor benchmark: time and peak memory of one run at 10,000 / 100,000 / 1,000,000 samples.

    .venv/bin/python -m benchmarks.bench_monitor [--sizes 10000,100000,1000000] [--previous-up-to N]
                                                 [--write docs/benchmarks.md]

Writes, once per size, a samples file as the serving runtime writes its log (PredictionSample lines,
20 float features, 5 of them shifted by half a standard deviation, one plain log line in a hundred) and a
1,000-row reference CSV. Each run is its own process (benchmarks/monitor_run.py): the current monitor
and, alternating with it, the previous implementation (the branch point's monitor.py loaded from git).
Prints one table with the ratios current/previous and the growth exponent; asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.monitor_run import MODEL, PREVIOUS_REV  # noqa: E402
from benchmarks.report import exponent, header, markdown_table, write_block  # noqa: E402
from facts.quality_samples import SAMPLE_FORMAT, SAMPLE_MARKER, PredictionSample  # noqa: E402
from quality_monitor.window import DEFAULT_MAX_SAMPLES  # noqa: E402

FEATURES, SHIFTED = 20, 5
TARGETS = "1,000,000 samples in < 10 s on 2 cores and < 1 GiB; growth exponent <= 1.1"


def write_samples(path: Path, count: int, seed: int) -> None:
    """`count` sample lines in PredictionSample.to_line's format (checked on the first line), in chunks."""
    rng, now = np.random.default_rng(seed), time.time()
    with path.open("wb") as out:
        for start in range(0, count, 50_000):
            rows = rng.normal(0, 1, (min(50_000, count - start), FEATURES))
            rows[:, :SHIFTED] += 0.5
            for offset, row in enumerate(rows.tolist()):
                i = start + offset
                record = {
                    SAMPLE_MARKER: SAMPLE_FORMAT,
                    "time": now,
                    "model": MODEL,
                    "version": "3",
                    "request_id": f"req-{i // 4}",
                    "row": i % 4,
                    "features": row,
                    "prediction": i % 2,
                    "confidence": 0.8,
                    "feature_names": None,
                }
                line = orjson.dumps(record)
                if i == 0:  # the benchmark's lines are the runtime's lines
                    assert PredictionSample.from_line(line.decode()) == PredictionSample(
                        **{k: v for k, v in record.items() if k != SAMPLE_MARKER}
                    )
                out.write(line + b"\n")
                if i % 100 == 99:
                    out.write(b'INFO:     127.0.0.1:50000 - "POST /v2/models/bench-model/infer HTTP/1.1" 200 OK\n')


def write_reference(path: Path, seed: int) -> None:
    rows = np.random.default_rng(seed).normal(0, 1, (1000, FEATURES))
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([f"feature_{i}" for i in range(FEATURES)])
        writer.writerows(rows.tolist())


def run_child(impl: str, samples: Path, reference: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.monitor_run", "--impl", impl, str(samples), str(reference)],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--previous-up-to", type=int, default=1_000_000, help="largest size the previous one runs")
    parser.add_argument("--write", type=Path, help="write the table to this markdown file")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    load_before = os.getloadavg()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-monitor-") as scratch:
        reference = Path(scratch) / "reference.csv"
        write_reference(reference, seed=1)
        for size in sizes:
            samples = Path(scratch) / f"samples-{size}.jsonl"
            write_samples(samples, size, seed=size)
            current = run_child("current", samples, reference)
            previous = run_child("previous", samples, reference) if size <= args.previous_up_to else None
            samples.unlink()
            rows.append({"size": size, "current": current, "previous": previous})
            print(
                f"{size}: current {current['seconds']:.2f} s, previous {previous and previous['seconds']}", flush=True
            )
    report = render(rows, load_before)
    print(report)
    if args.write:
        write_block(args.write, "MONITOR", "benchmarks/bench_monitor.py", report)
    return rows


def render(rows: list[dict], load_before: tuple[float, float, float]) -> str:
    columns = ["samples", "current s", "current CPU s", "current peak MiB", "imports MiB", "rows kept"]
    columns += ["previous s", "previous peak MiB", "current/previous time", "max feature score diff"]
    cells = []
    for row in rows:
        cur, prev = row["current"], row["previous"]
        line = [f"{row['size']:,}", f"{cur['seconds']:.2f}", f"{cur['cpu_seconds']:.2f}", f"{cur['peak_mib']:.0f}"]
        line += [f"{cur['rss_before_mib']:.0f}", f"{cur['samples_used']:,}"]
        if prev:
            diff = max(abs(a - b) for a, b in zip(cur["feature_scores"], prev["feature_scores"], strict=True))
            line += [f"{prev['seconds']:.2f}", f"{prev['peak_mib']:.0f}", f"{cur['seconds'] / prev['seconds']:.2f}"]
            line += [f"{diff:.4f}"]
        else:
            line += ["not run"] * 4
        cells.append(line)
    sizes = [r["size"] for r in rows]
    notes = [f"- previous implementation: quality_monitor/monitor.py at {PREVIOUS_REV}, loaded from git"]
    notes.append(
        f"- rows kept per version (the cap): {DEFAULT_MAX_SAMPLES:,}; drift runs on a uniform sample beyond it"
    )
    if len(rows) >= 2:
        notes.append(
            f"- current: time grows with exponent {exponent(sizes, [r['current']['seconds'] for r in rows]):.2f}"
        )
        notes.append(
            f"- current: CPU time grows with exponent {exponent(sizes, [r['current']['cpu_seconds'] for r in rows]):.2f}"
        )
        with_previous = [r for r in rows if r["previous"]]
        if len(with_previous) >= 2:
            times = [r["previous"]["seconds"] for r in with_previous]
            notes.append(
                f"- previous: time grows with exponent {exponent([r['size'] for r in with_previous], times):.2f}"
            )
    return "\n".join(
        [header(load_before), "", markdown_table(columns, cells), "", *notes, "", f"Targets (issue 19): {TARGETS}."]
    )


if __name__ == "__main__":
    main()
