"""A throwaway server process on 127.0.0.1 (the demo's MLflow, the benchmarks' MLServers): a free port,
its own session so stopping it takes its whole process group (workers outlive a leader), and a wait until
it answers that gives up with the server's log tail when it exits or does not come up in time."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable

import requests


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_group(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM to the whole process group, then SIGKILL whatever is left. Safe to call twice."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=timeout)


def wait_until_ready(
    process: subprocess.Popen,
    url: str,
    *,
    name: str,
    timeout: float,
    log_tail: Callable[[], str],
    interval: float = 0.25,
) -> None:
    """Returns once GET `url` answers 200; otherwise stops the group and raises RuntimeError naming `name`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log_tail()}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(interval)
    stop_group(process)
    raise RuntimeError(f"{name} not ready at {url} after {timeout:.0f}s:\n{log_tail()}")
