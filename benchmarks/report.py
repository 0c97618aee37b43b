"""What every benchmark's report shares: the machine line and writing one named block of docs/benchmarks.md.

Each benchmark owns the block between its own markers; the prose around the blocks is written by hand,
and a block that is not there yet is appended at the end of the page.
"""

from __future__ import annotations

import math
import os
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.bench_scale import machine


def header(load_before: tuple[float, float, float]) -> str:
    """The run's date, machine and load (the shared machine's load average skews every absolute figure)."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{now} on {machine()}; load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after"


def exponent(sizes: list[float], values: list[float]) -> float:
    """Least-squares slope of log(value) over log(size): 1.0 is linear growth."""
    xs, ys = [math.log(s) for s in sizes], [math.log(max(v, 1e-9)) for v in values]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def markdown_table(columns: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return "\n".join([*lines, *("| " + " | ".join(r) + " |" for r in rows)])


def write_block(path: Path, name: str, script: str, report: str) -> None:
    """Replaces the block between `name`'s markers in `path`, or appends it; the rest is kept as it is."""
    begin, end = f"<!-- {name} RESULTS BEGIN ({script} writes this block) -->", f"<!-- {name} RESULTS END -->"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if begin not in text:
        text = f"{text.rstrip()}\n\n{begin}\n{end}\n"
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end)
    path.write_text(f"{head}{begin}\n{report}\n{end}{tail}", encoding="utf-8")
