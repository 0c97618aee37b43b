"""Scale benchmark: render cost of generated catalogues against the floors, one table from one run.

    .venv/bin/python -m benchmarks.bench_scale [--sizes 10,100,500] [--stacks local,dev] [--write docs/benchmarks.md]

Starts a local MLflow server, registers the largest catalogue's models over the REST API (two versions,
runs with metrics, evidence tags, champion/challenger aliases), then for each size and stack renders the
generated project in a fresh process (`benchmarks.scale_render`: wall time, peak RSS, resources,
dependsOn edges, registry requests counted at the transport) and measures, on the very objects that
render produced, the floors (`benchmarks.scale_floors`): the Pulumi SDK alone under bare mocks, PyYAML's C
dumper and `kubectl kustomize`. Prints figures and the targets of issue 14; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # `python benchmarks/bench_scale.py` works too

from benchmarks.scale_catalogue import generate_project, model_names, seed_registry  # noqa: E402
from benchmarks.scale_floors import kustomize_floor, yaml_floor  # noqa: E402
from ops.demo.local_mlflow import start_local_mlflow  # noqa: E402
from ops.progress import Progress  # noqa: E402

TARGETS = (
    "ours / SDK floor <= 1.25; 100 models < 10 s and 500 < 45 s per stack (process wall time), < 1.5 GiB;",
    "growth 100 -> 500 models with exponent <= 1.1; at least as fast as kustomize at 500 models.",
)


@dataclass
class Row:
    figures: dict  # from benchmarks.scale_render
    wall_s: float  # the render process, interpreter start to exit
    peak_mib: float
    sdk_s: float
    sdk_cpu_s: float
    sdk_wall_s: float
    yaml_s: float
    kustomize_s: float | None
    kustomize_objects: int | None = None
    kustomize_note: str = ""

    @property
    def models(self) -> int:
        return self.figures["models"]

    def cells(self) -> list[str]:
        f = self.figures
        kustomize = f"{self.kustomize_s:.2f}" if self.kustomize_s is not None else "n/a"
        vs_kustomize = f"{self.wall_s / self.kustomize_s:.1f}x" if self.kustomize_s else "n/a"
        return [
            str(f["models"]),
            f["stack"],
            f"{self.wall_s:.1f}",
            f"{f['render_s']:.1f}",
            f"{self.peak_mib:.0f}",
            str(f["resources"]),
            str(f["edges"]),
            f"{f['requests'] / max(f['models'], 1):.1f}",
            f"{1000 * f['render_s'] / max(f['models'], 1):.0f}",
            f"{1000 * f['render_s'] / max(f['resources'], 1):.1f}",
            f"{f['render_cpu_s']:.1f}",
            f"{self.sdk_s:.1f}",
            f"{self.sdk_cpu_s:.1f}",
            f"{f['render_s'] / self.sdk_s:.2f}",
            f"{f['render_cpu_s'] / self.sdk_cpu_s:.2f}",
            f"{self.yaml_s:.2f}",
            kustomize,
            vs_kustomize,
        ]


HEADER = [
    "models",
    "stack",
    "wall s",
    "render s",
    "peak MiB",
    "resources",
    "dependsOn edges",
    "registry req/model",
    "ms/model",
    "ms/resource",
    "render CPU s",
    "SDK floor s",
    "SDK floor CPU s",
    "ours/SDK",
    "ours/SDK CPU",
    "YAML C dump s",
    "kustomize s",
    "wall/kustomize",
]


def _run_measured(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one child process; raises if it fails."""
    start = time.perf_counter()
    process = subprocess.Popen(cmd, cwd=REPO)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if process.returncode:
        raise RuntimeError(f"{' '.join(cmd)} exited with {process.returncode}")
    return elapsed, usage.ru_maxrss / 1024  # KiB on Linux


def measure(project: Path, stack: str, uri: str, work: Path, profile_dir: Path | None) -> Row:
    out, dump = work / f"{stack}.json", work / f"dump-{stack}"
    cmd = [sys.executable, "-m", "benchmarks.scale_render", str(project), stack, uri, str(out), "--dump", str(dump)]
    if profile_dir:
        profile_dir.mkdir(parents=True, exist_ok=True)
        cmd += ["--profile", str(profile_dir / f"render-{stack}-{project.name}.prof")]
    wall, peak = _run_measured(cmd)
    figures = json.loads(out.read_text(encoding="utf-8"))
    sdk_out = work / f"sdk-{stack}.json"
    sdk_wall, _ = _run_measured([sys.executable, "-m", "benchmarks.scale_floors", "sdk", str(dump), str(sdk_out)])
    sdk = json.loads(sdk_out.read_text(encoding="utf-8"))
    kustomize = kustomize_floor(dump, work / f"kustomize-{stack}", stack)
    return Row(
        figures=figures,
        wall_s=wall,
        peak_mib=peak,
        sdk_s=sdk["sdk_s"],
        sdk_cpu_s=sdk["sdk_cpu_s"],
        sdk_wall_s=sdk_wall,
        yaml_s=yaml_floor(dump)["yaml_s"],
        kustomize_s=kustomize["kustomize_s"],
        kustomize_objects=kustomize.get("kustomize_objects"),
        kustomize_note=kustomize.get("kustomize_note", ""),
    )


def table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    return "\n".join(lines)


def growth(rows: list[Row], small: int = 100, large: int = 500) -> list[str]:
    """Exponent k of time ~ models^k between two sizes, per stack (1.0 = linear)."""
    notes = []
    for stack in dict.fromkeys(r.figures["stack"] for r in rows):
        by_size = {r.models: r for r in rows if r.figures["stack"] == stack}
        if small in by_size and large in by_size:
            for key, what in (("render_s", "time"), ("render_cpu_s", "CPU time")):
                a, b = by_size[small].figures[key], by_size[large].figures[key]
                k = math.log(b / a) / math.log(large / small)
                notes.append(f"{stack}: render {what} grows with exponent {k:.2f} from {small} to {large} models")
    return notes


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{mem_kib / 1024 / 1024:.0f} GiB"
    except OSError:
        memory = "?"
    return f"{cpu}, {len(os.sched_getaffinity(0))} cores available, {memory} RAM, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,500", help="catalogue sizes, comma-separated")
    parser.add_argument("--stacks", default="local,dev", help="stacks to render, comma-separated")
    parser.add_argument("--write", type=Path, help="also write the results as Markdown to this file")
    parser.add_argument("--profile-dir", type=Path, help="write a cProfile file per render there")
    parser.add_argument(
        "--registry", help="an MLflow server already holding the models (seed_registry); default: start and seed one"
    )
    ns = parser.parse_args(argv)
    sizes = sorted(int(s) for s in ns.sizes.split(","))
    stacks = ns.stacks.split(",")
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    rows: list[Row] = []
    names = model_names(max(sizes))
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp, contextlib.ExitStack() as stack_of_servers:
        work = Path(tmp)
        uri = ns.registry
        if not uri:
            uri = stack_of_servers.enter_context(start_local_mlflow(work / "mlflow")).uri
            t0 = time.perf_counter()
            seed_registry(uri, names)
            print(f"registered {max(sizes)} models x 2 versions at {uri} in {time.perf_counter() - t0:.0f} s")
        with Progress.detect().phase("renders measured", total=len(sizes) * len(stacks)) as measured:
            for size in sizes:
                project = generate_project(work / f"project-{size}", names[:size])
                for stack in stacks:
                    rows.append(measure(project, stack, uri, work / f"run-{size}", ns.profile_dir))
                    print(table(rows[-1:]).splitlines()[-1], flush=True)
                    measured.advance(detail=f"{size} models, {stack}")
    load_after = os.getloadavg()
    notes = growth(rows) + sorted({r.kustomize_note for r in rows if r.kustomize_note})
    report = "\n".join(
        [
            f"{started:%Y-%m-%d %H:%M} UTC on {machine()}; load average {load_before[0]:.1f} before, "
            f"{load_after[0]:.1f} after",
            "",
            table(rows),
            "",
            *[f"- {n}" for n in notes],
            "",
            "Targets (issue 14): " + " ".join(TARGETS),
        ]
    )
    print("\n" + report)
    if ns.write:
        _write_markdown(ns.write, report)
    return rows


def _write_markdown(path: Path, report: str) -> None:
    """Replaces the block between the RESULTS markers of `path` (the rest of the page is prose)."""
    begin, end = "<!-- RESULTS BEGIN (benchmarks/bench_scale.py writes this block) -->", "<!-- RESULTS END -->"
    text = path.read_text(encoding="utf-8") if path.exists() else f"# Benchmarks\n\n{begin}\n{end}\n"
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end)
    path.write_text(f"{head}{begin}\n{report}\n{end}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
