"""How many HTTP requests and how much time resolving N catalogue models costs. Prints; asserts nothing.

    .venv/bin/python benchmarks/bench_model_resolution.py [--models 100] [--workers 8]

Starts its own local MLflow server (ops/local_mlflow.py), registers N models with a champion v1 and a
better challenger v2 (one real logged sklearn model backs every version; each version has its own run
with its own metrics, and the evidence tags), then resolves them through `resolve_and_gate` sequentially
and with `resolve_many`. Requests are counted by the client's transport adapter, not estimated.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from ops.demo_registry import DEMO_MODELS, log_and_register, train
from ops.local_mlflow import start_local_mlflow
from ops.progress import Progress
from registry.client import MlflowRegistryClient
from registry.resolution import resolve_and_gate, resolve_many
from registry.version_args import ModelVersionArgs

GATES = {
    "min_metrics": {"accuracy": 0.8},
    "champion": {"metrics": ["accuracy", "f1_weighted"], "margin": 0.01},
    "evidence": [
        {"tag": "validation.data", "equals": "passed"},
        {"tag": "scan.max_cvss", "max": 7.0},
        {"tag": "compliance", "equals": "approved"},
    ],
}
EVIDENCE = {"validation.data": "passed", "scan.max_cvss": "3.0", "compliance": "approved"}


def seed(uri: str, count: int) -> list[str]:
    from mlflow import MlflowClient

    spec = DEMO_MODELS[0]
    estimator, metrics, _ = train(spec.data, spec.versions[0])
    first = log_and_register(uri, "bench-000", estimator, metrics, tags=EVIDENCE, experiment="bench")
    client = MlflowClient(uri)
    source = client.get_model_version("bench-000", first)
    experiment_id = client.get_experiment_by_name("bench").experiment_id
    names = []
    with Progress.detect().phase("models seeded", total=count) as seeded:
        for i in range(count):
            _seed_one(client, i, source.source, experiment_id)
            names.append(f"bench-{i:03d}")
            seeded.advance(detail=names[-1])
    return names


def _seed_one(client, i: int, source: str, experiment_id: str) -> None:
    """bench-<i> with v1 (accuracy 0.86, alias champion) and v2 (0.89, alias challenger)."""
    from mlflow.entities import Metric

    name = f"bench-{i:03d}"
    if i:
        client.create_registered_model(name)
    for version, accuracy in enumerate((0.86, 0.89), start=1):
        if i == 0 and version == 1:
            continue  # bench-000 v1 is the logged model itself
        run = client.create_run(experiment_id)
        now = int(time.time() * 1000)
        client.log_batch(run.info.run_id, metrics=[Metric(k, accuracy, now, 0) for k in ("accuracy", "f1_weighted")])
        client.set_terminated(run.info.run_id)
        # MLflow 3: source is models:/<model id>; the registry wants that id alongside it.
        client.create_model_version(
            name, source, run_id=run.info.run_id, tags=EVIDENCE, model_id=source.removeprefix("models:/")
        )
    client.set_registered_model_alias(name, "champion", "1")
    client.set_registered_model_alias(name, "challenger", "2")


def measure(uri: str, jobs: list, label: str, workers: int | None = None) -> float:
    client = MlflowRegistryClient(uri)
    start = time.perf_counter()
    if workers:
        results = resolve_many(client, jobs, max_workers=workers)
    else:
        results = [
            resolve_and_gate(client, *job) if isinstance(job, tuple) else resolve_and_gate(client, job, None)
            for job in jobs
        ]
    elapsed = time.perf_counter() - start
    failed = [r for r in results if isinstance(r, Exception)]
    per_model = client.request_count / len(jobs)
    endpoints = ", ".join(f"{k} {v / len(jobs):.1f}" for k, v in sorted(client.requests_by_endpoint.items()))
    failures = f"  FAILED: {len(failed)}" if failed else ""
    print(f"{label:58} {per_model:4.1f} req/model  {elapsed:6.2f} s  ({endpoints}){failures}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--workers", type=int, default=8, help="client threads for resolve_many")
    parser.add_argument("--server-workers", type=int, default=1, help="uvicorn workers of the MLflow server")
    ns = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        with start_local_mlflow(tmp, workers=ns.server_workers) as server:
            print(f"server {server.uri} up in {time.perf_counter() - t0:.1f} s")
            t0 = time.perf_counter()
            names = seed(server.uri, ns.models)
            print(f"seeded {len(names)} models x 2 versions in {time.perf_counter() - t0:.1f} s\n")

            def args(name, selector):
                return ModelVersionArgs(name, name, "prod", selector, GATES)

            champion = [args(n, {"alias": "champion"}) for n in names]
            measure(server.uri, champion[:5], "warm-up (not counted)")
            seq = measure(server.uri, champion, "alias champion, sequential")
            conc = measure(server.uri, champion, f"alias champion, resolve_many({ns.workers} threads)", ns.workers)
            measure(
                server.uri,
                [args(n, {"alias": "challenger"}) for n in names],
                "alias challenger, nothing deployed (champion from registry)",
            )
            measure(
                server.uri,
                [(args(n, {"alias": "challenger"}), "1") for n in names],
                "alias challenger, v1 deployed (champion metrics fetched)",
            )
            client = MlflowRegistryClient(server.uri)
            start = time.perf_counter()
            for n in names:  # what check() does: the deployed version's metrics come from the old state
                resolve_and_gate(
                    client,
                    args(n, {"alias": "challenger"}),
                    "1",
                    current_metrics={"accuracy": 0.86, "f1_weighted": 0.86},
                )
            print(
                f"{'alias challenger, v1 deployed, metrics from state (check)':58} "
                f"{client.request_count / len(names):4.1f} req/model  {time.perf_counter() - start:6.2f} s"
            )
            measure(server.uri, [args(n, {"version": 1}) for n in names], "pin version 1")
            measure(
                server.uri,
                [args(n, {"latest": True}) for n in names],
                "latest, nothing deployed (champion from registry)",
            )
            print(
                f"\nsequential {seq:.2f} s, concurrent {conc:.2f} s: {seq / conc:.2f}x faster "
                f"({ns.models} models, {ns.workers} threads, server --workers {ns.server_workers}, "
                f"{os.cpu_count()} cores)"
            )


if __name__ == "__main__":
    main()
