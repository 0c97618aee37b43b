"""One quality-monitor run over a samples file, in its own process (benchmarks/bench_monitor.py starts it).

    python -m benchmarks.monitor_run --impl current|previous SAMPLES REFERENCE_CSV

`current` is quality_monitor.monitor.run (samples streamed into bounded per-version windows);
`previous` is quality_monitor/monitor.py as it was at PREVIOUS_REV, loaded from git, which reads the
window into a list of PredictionSample and the drift columns into lists. Both get the same reference
(read from the CSV, no MLflow) and the same configuration. Prints one JSON object: run seconds, CPU
seconds, peak RSS of the process and RSS before the run (imports), the drift score and samples kept.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from quality_monitor.config import MonitorConfig  # noqa: E402
from quality_monitor.reference import read_reference_csv  # noqa: E402

PREVIOUS_REV = "3d6eb7d"  # the branch point: the monitor before streaming
MODEL = "bench-model"


def previous_monitor():
    source = subprocess.run(
        ["git", "show", f"{PREVIOUS_REV}:quality_monitor/monitor.py"], cwd=REPO, check=True, capture_output=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "previous_monitor.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("previous_monitor", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", choices=("current", "previous"), required=True)
    parser.add_argument("samples")
    parser.add_argument("reference")
    args = parser.parse_args()
    reference = read_reference_csv(Path(args.reference))
    config = MonitorConfig(
        model=MODEL, registered_model=MODEL, tracking_uri="unused", samples_file=args.samples, window_seconds=10**9
    )
    previous = previous_monitor() if args.impl == "previous" else None
    from quality_monitor.monitor import run  # imported before the clock starts, as the previous one is

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start, cpu = time.perf_counter(), time.process_time()
    if previous is not None:
        result = previous.assess(config, previous.read_samples(config), lambda version: reference)
    else:
        result = run(config, lambda version: reference)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    (version,) = result.versions
    assert version.drift is not None
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu_seconds": cpu,
                "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "rss_before_mib": rss_before,
                "drift_score": version.drift.score,
                "feature_scores": [f.score for f in version.drift.features],
                "samples_used": version.drift.samples,
            }
        )
    )


if __name__ == "__main__":
    main()
