"""MLServer processes for the serving benchmark: the same model, stock runtime or ours, on 127.0.0.1.

The model is the demo's churn champion (ops/demo/trained_models.py), saved with the project's MLflow as the init
container would download it. Each server gets the serving container's environment (manifests/containers.py:
one default model, metrics directory, load at startup) with ports and paths moved to a scratch directory;
only MLSERVER_MODEL_IMPLEMENTATION and the sample rate differ between the servers.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from facts.quality_samples import SAMPLE_RATE_ENV
from ops.demo.local_process import free_port, stop_group, wait_until_ready

REPO = Path(__file__).resolve().parent.parent
SERVING_VENV = Path(os.environ.get("MLOPS_SERVING_VENV", REPO / ".venv-serving"))
STOCK_RUNTIME = "mlserver_mlflow.MLflowRuntime"
OUR_RUNTIME = "mlops_serving_runtime.runtime.QualityMLflowRuntime"
MODEL_NAME = "churn-prediction"


def save_model(directory: Path):
    """Trains the demo churn champion and saves it as an MLflow model in `directory`; returns held-out rows."""
    import mlflow.models
    import mlflow.sklearn
    import sklearn

    from ops.demo.trained_models import DEMO_MODELS, make_data, train

    spec = DEMO_MODELS[0]
    estimator, _metrics, example = train(spec.data, spec.versions[0])
    mlflow.sklearn.save_model(
        estimator,
        str(directory),
        signature=mlflow.models.infer_signature(example, estimator.predict(example)),
        pip_requirements=[f"scikit-learn=={sklearn.__version__}"],
        skops_trusted_types=["sklearn.tree._tree.Tree"],
    )
    return make_data(spec.data)[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    base: str
    metrics: str
    log: Path

    def stop(self) -> None:
        stop_group(self.process, timeout=30)

    def pids(self) -> list[int]:
        """The server's process group (MLServer's main process and its inference worker)."""
        out = subprocess.run(["pgrep", "-g", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def cpu_seconds(self) -> float:
        """User + system CPU seconds used so far by the server's processes (/proc/<pid>/stat)."""
        ticks = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return ticks / os.sysconf("SC_CLK_TCK")

    def memory_mib(self, field: str = "VmRSS") -> float:
        """Sum over the server's processes of /proc/<pid>/status `field` (VmRSS now, VmHWM the peak)."""
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith(f"{field}:"):
                        total += int(line.split()[1])
            except OSError:
                continue  # a process that just ended
        return total / 1024


def start(
    name: str,
    implementation: str,
    model_dir: Path,
    root: Path,
    sample_rate: float,
    python_path: Path | None = None,
    cpus: frozenset[int] | None = None,
) -> Server:
    """Starts one MLServer serving `model_dir` with `implementation`; waits until the model is ready.
    `python_path` goes first on PYTHONPATH (the previous runtime's modules); `cpus`: the server and the
    inference worker it forks run on these CPUs only (inherited affinity)."""
    home = root / name
    home.mkdir(parents=True)
    ports = {k: free_port() for k in ("MLSERVER_HTTP_PORT", "MLSERVER_GRPC_PORT", "MLSERVER_METRICS_PORT")}
    environ = {
        "PATH": f"{SERVING_VENV / 'bin'}:/usr/bin:/bin",
        "HOME": str(home),
        "PYTHONPATH": ":".join(str(p) for p in (python_path, REPO / "serving_runtime", REPO) if p),
        "MLSERVER_MODEL_NAME": MODEL_NAME,
        "MLSERVER_MODEL_VERSION": "1",
        "MLSERVER_MODEL_IMPLEMENTATION": implementation,
        "MLSERVER_MODEL_URI": str(model_dir),
        "MLSERVER_METRICS_DIR": str(home / "metrics"),
        "MLSERVER_LOAD_MODELS_AT_STARTUP": "true",
        SAMPLE_RATE_ENV: str(sample_rate),
        **{k: str(v) for k, v in ports.items()},
    }
    log = home / "server.log"
    command = [str(SERVING_VENV / "bin" / "mlserver"), "start", str(home)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            env=environ,
            cwd=home,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        )
    server = Server(
        name,
        process,
        f"http://127.0.0.1:{ports['MLSERVER_HTTP_PORT']}",
        f"http://127.0.0.1:{ports['MLSERVER_METRICS_PORT']}/metrics",
        log,
    )

    def log_tail() -> str:
        return log.read_text()[-3000:]

    wait_until_ready(
        process, f"{server.base}/v2/models/{MODEL_NAME}/ready", name=name, timeout=240, log_tail=log_tail, interval=1
    )
    return server
