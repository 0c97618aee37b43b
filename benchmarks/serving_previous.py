"""The serving runtime as it was before this benchmark's fixes (PREVIOUS_REV), for the same run.

Its three modules (runtime, recorder and the facts they import) are written from git into a scratch
directory as the package `mlops_serving_runtime_previous`, placed first on that server's PYTHONPATH.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PREVIOUS_REV = "3d6eb7d"  # the branch point: recording on the request path
PREVIOUS_RUNTIME = "mlops_serving_runtime_previous.runtime.QualityMLflowRuntime"
_FILES = {
    "serving_runtime/mlops_serving_runtime/__init__.py": "mlops_serving_runtime_previous/__init__.py",
    "serving_runtime/mlops_serving_runtime/runtime.py": "mlops_serving_runtime_previous/runtime.py",
    "serving_runtime/mlops_serving_runtime/recorder.py": "mlops_serving_runtime_previous/recorder.py",
    "facts/__init__.py": "facts/__init__.py",
    "facts/quality_metrics.py": "facts/quality_metrics.py",
    "facts/quality_samples.py": "facts/quality_samples.py",
}


def write_previous(directory: Path) -> Path:
    """Writes the previous runtime under `directory`; returns the path to put first on PYTHONPATH."""
    for source, target in _FILES.items():
        text = subprocess.run(
            ["git", "show", f"{PREVIOUS_REV}:{source}"], cwd=REPO, check=True, capture_output=True, text=True
        ).stdout
        path = directory / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("mlops_serving_runtime.", "mlops_serving_runtime_previous."))
    return directory
