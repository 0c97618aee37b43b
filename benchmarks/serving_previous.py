"""The serving runtime as it was before this benchmark's fixes (PREVIOUS_REV), for the same run.

Its modules (every module of mlops_serving_runtime at that revision, and the facts they import) are
written from git into a scratch directory as the package `mlops_serving_runtime_previous`, placed first on
that server's PYTHONPATH. `bench_serving --previous REV` picks another revision.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PREVIOUS_REV = "3d6eb7d"  # the branch point: recording on the request path
PREVIOUS_RUNTIME = "mlops_serving_runtime_previous.runtime.QualityMLflowRuntime"
_FACTS = ("facts/__init__.py", "facts/quality_metrics.py", "facts/quality_samples.py")


def write_previous(directory: Path, rev: str = PREVIOUS_REV) -> Path:
    """Writes the runtime as it was at `rev` (every module of the package then, and the facts it imports)
    under `directory`; returns the path to put first on PYTHONPATH."""
    package = "serving_runtime/mlops_serving_runtime/"
    modules = subprocess.run(
        ["git", "ls-tree", "--name-only", rev, package], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.split()
    files = {m: "mlops_serving_runtime_previous/" + m.removeprefix(package) for m in modules if m.endswith(".py")}
    files |= {f: f for f in _FACTS}
    for source, target in files.items():
        text = subprocess.run(
            ["git", "show", f"{rev}:{source}"], cwd=REPO, check=True, capture_output=True, text=True
        ).stdout
        path = directory / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("mlops_serving_runtime.", "mlops_serving_runtime_previous."))
    return directory
