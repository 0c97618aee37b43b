"""Start and stop a throwaway local MLflow tracking server: one code path for the tests, the benchmark
and the demo.

`--workers 1` and MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false bring start-up to seconds; the server spawns
uvicorn and job consumers, so it runs in its own session and stop() kills the whole process group.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ops.demo.local_process import free_port, stop_group, wait_until_ready

DEFAULT_START_TIMEOUT = 90.0


@dataclass
class LocalMlflow:
    uri: str
    root: Path
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        """The whole process group (ops/demo/local_process.py). Safe to call twice."""
        stop_group(self.process, timeout)

    def __enter__(self) -> LocalMlflow:
        return self

    def serve_forever(self) -> None:
        """Blocks until the server exits, Ctrl-C or SIGTERM; the with-block then stops the whole group.
        SIGTERM becomes SystemExit because Python's default SIGTERM ends the process without running
        `finally`, which would orphan the server (it runs in its own session)."""
        previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            self.process.wait()
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)

    def __exit__(self, *exc) -> None:
        self.stop()


def start_local_mlflow(
    root: Path | str, *, port: int | None = None, workers: int = 1, timeout: float = DEFAULT_START_TIMEOUT
) -> LocalMlflow:
    """A real `mlflow server` on 127.0.0.1 with a sqlite store and artifacts under `root`; returns once
    /health answers. Raises RuntimeError with the server's log tail if it does not come up."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log_path = root / "server.log"
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    cmd = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        f"sqlite:///{root / 'mlflow.db'}",
        "--default-artifact-root",
        str(root / "artifacts"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True
        )
    server = LocalMlflow(f"http://127.0.0.1:{port}", root, process, log_path)
    wait_until_ready(process, f"{server.uri}/health", name="mlflow server", timeout=timeout, log_tail=server.log_tail)
    return server


def main() -> None:
    """`python -m ops.demo.local_mlflow DIR`: run a server in the foreground until Ctrl-C."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("root", nargs="?", default=".demo/mlflow")
    parser.add_argument("--port", type=int, default=None)
    ns = parser.parse_args()
    with start_local_mlflow(ns.root, port=ns.port) as server:
        print(f"MLflow at {server.uri} (data in {server.root}); Ctrl-C to stop", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
