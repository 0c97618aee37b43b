"""One measured render, run in its own process by benchmarks/bench_scale.py (peak memory is per process).

    python -m benchmarks.scale_render PROJECT_DIR STACK REGISTRY_URI OUT_JSON [--dump DIR] [--profile FILE]

Runs `ops.render.render` (the real program on the offline engine, YAML and plan.json written) against the
registry at REGISTRY_URI and writes a JSON line of figures to OUT_JSON. Registry requests are counted at
the transport: every `requests` HTTPAdapter.send that leaves this process, per endpoint. --dump writes
what the floors need: the registered resources (pickle) and the Kubernetes objects (pickle).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pickle
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests.adapters

_REQUESTS: Counter = Counter()
_LOCK = threading.Lock()
_send = requests.adapters.HTTPAdapter.send


def _counting_send(self, request, *args, **kwargs):
    endpoint = request.path_url.split("?", 1)[0].removeprefix("/api/2.0/mlflow")
    with _LOCK:
        _REQUESTS[endpoint] += 1
    return _send(self, request, *args, **kwargs)


def measure(project_dir: Path, stack: str, uri: str, dump: Path | None = None, profile: Path | None = None) -> dict:
    """Renders once, counting registry requests; returns the figures (and writes the dumps)."""
    from ops.engine import mask, unwrap
    from ops.render import render
    from registry.connection_keys import CONFIG_URI

    requests.adapters.HTTPAdapter.send = _counting_send  # type: ignore[method-assign]
    _REQUESTS.clear()
    profiler = cProfile.Profile() if profile else None
    try:
        with tempfile.TemporaryDirectory() as out:
            start, cpu_start = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            result = render(project_dir, stack, Path(out) / stack, overrides={CONFIG_URI: uri})
            if profiler:
                profiler.disable()
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    finally:
        requests.adapters.HTTPAdapter.send = _send  # type: ignore[method-assign]
    if profiler and profile:
        profiler.dump_stats(str(profile))
    return _figures(result, stack, elapsed, cpu, dump, mask, unwrap)


def _figures(result, stack: str, elapsed: float, cpu: float, dump: Path | None, mask, unwrap) -> dict:
    resources = result.run.resources
    models = len(result.run.outputs.get("models") or {})
    figures = {
        "stack": stack,
        "models": models,
        "render_s": elapsed,
        "render_cpu_s": cpu,  # every thread of this process: robust to other load on the machine
        "resources": len(resources),
        "custom": sum(1 for r in resources if r.custom),
        "kubernetes_objects": len(result.run.kubernetes_objects()),
        "edges": sum(len(r.options.get("dependencies", [])) for r in resources),
        "requests": sum(_REQUESTS.values()),
        "requests_by_endpoint": dict(_REQUESTS),
    }
    if dump:
        dump.mkdir(parents=True, exist_ok=True)
        records = [(r.urn, r.type, r.name, r.parent, r.custom, unwrap(r.inputs)) for r in resources]
        (dump / "resources.pickle").write_bytes(pickle.dumps(records))
        objects = [mask(r.inputs) for r in result.run.kubernetes_objects()]
        (dump / "objects.pickle").write_bytes(pickle.dumps(objects))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project_dir", type=Path)
    parser.add_argument("stack")
    parser.add_argument("uri")
    parser.add_argument("out_json", type=Path)
    parser.add_argument("--dump", type=Path)
    parser.add_argument("--profile", type=Path)
    ns = parser.parse_args()
    figures = measure(ns.project_dir, ns.stack, ns.uri, ns.dump, ns.profile)
    ns.out_json.write_text(json.dumps(figures) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
