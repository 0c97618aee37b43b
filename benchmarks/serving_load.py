"""One load run with wrk (Debian's `wrk` 4.1.0: `apt-get install -y wrk`): requests/s and latency percentiles.

wrk keeps `connections` connections busy for `duration` seconds (a closed loop: each client sends its
next request when the previous answer arrives), POSTing one body from a Lua script, and prints the
latency distribution with --latency. Parsed here, never estimated.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class LoadResult:
    connections: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx answers plus socket errors
    cpu_ms: float = 0.0  # the server's CPU per request, when the caller measured it


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("the serving benchmark needs wrk: apt-get install -y wrk (Debian package wrk 4.1.0)")
    return found


def post_script(directory: Path, body: bytes) -> Path:
    (directory / "body.json").write_bytes(body)
    script = directory / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'local f = assert(io.open("{directory / "body.json"}", "rb"))\n'
        'wrk.body = f:read("*a")\nf:close()\n'
    )
    return script


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse(output: str, connections: int) -> LoadResult:
    def field(pattern: str) -> str:
        match = re.search(pattern, output, re.MULTILINE)
        if not match:
            raise RuntimeError(f"wrk output without {pattern!r}:\n{output}")
        return match.group(1)

    errors = int(re.search(r"Non-2xx or 3xx responses: (\d+)", output).group(1)) if "Non-2xx" in output else 0
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return LoadResult(
        connections=connections,
        requests_per_s=float(field(r"^Requests/sec:\s+([\d.]+)")),
        p50_ms=_ms(field(r"^\s+50%\s+(\S+)")),
        p99_ms=_ms(field(r"^\s+99%\s+(\S+)")),
        requests=int(field(r"^\s+(\d+) requests in")),
        errors=errors,
    )


def run(url: str, script: Path, connections: int, seconds: float, cpus: frozenset[int] | None = None) -> LoadResult:
    """One wrk run; `cpus`: wrk runs on these CPUs only."""
    command = [wrk_binary(), "-t1", f"-c{connections}", f"-d{round(seconds)}s", "--latency", "--timeout", "10s"]
    out = subprocess.run(
        [*command, "-s", str(script), url],
        check=True,
        capture_output=True,
        text=True,
        preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
    ).stdout
    return parse(out, connections)
