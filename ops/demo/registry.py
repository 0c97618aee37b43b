"""Fill an MLflow server with the example catalogue's models: the CPU ones trained for real
(ops/demo/trained_models.py), the GPU ones as honest stand-ins (ops/demo/stand_ins.py), idempotently
(ops/demo/mlflow_seeding.py).

    python -m ops.demo.registry --tracking-uri http://127.0.0.1:5000
    python -m ops.demo.registry --local .demo/mlflow      # start a local server (ops/demo/local_mlflow.py) too
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

from ops.demo.local_mlflow import start_local_mlflow
from ops.demo.mlflow_seeding import SeededVersion
from ops.demo.stand_ins import STAND_IN_MODELS, StandInModel, seed_stand_ins
from ops.demo.trained_models import DEMO_MODELS, TrainedModel, seed_trained_models


def seed_demo_registry(
    tracking_uri: str,
    models: tuple[TrainedModel, ...] = DEMO_MODELS,
    stand_ins: tuple[StandInModel, ...] = STAND_IN_MODELS,
    on_version: Callable[[str], object] = lambda _: None,
) -> list[SeededVersion]:
    """Registers every missing version of `models` and of the GPU models' `stand_ins`, then points the
    champion/challenger aliases at them. `on_version(model)` hears of each of `models`' versions once it
    is there (the demo's progress line)."""
    from registry.client import MlflowRegistryClient

    registry = MlflowRegistryClient(tracking_uri, os.environ.get("MLFLOW_TRACKING_TOKEN"))
    return seed_trained_models(registry, tracking_uri, models, on_version) + seed_stand_ins(
        registry, tracking_uri, stand_ins
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Seed an MLflow server with the demo catalogue's models.")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--tracking-uri",
        default=os.environ.get("MLFLOW_TRACKING_URI"),
        help="MLflow server URL (default: env MLFLOW_TRACKING_URI)",
    )
    where.add_argument(
        "--local",
        metavar="DIR",
        help="start a local server with its data in DIR, seed it and keep it running until Ctrl-C",
    )
    ns = parser.parse_args(argv)
    if ns.local:
        with start_local_mlflow(ns.local) as server:
            _seed_and_report(server.uri)
            print(f"\nMLflow at {server.uri} (export MLFLOW_TRACKING_URI={server.uri}); Ctrl-C to stop", flush=True)
            server.serve_forever()
        return
    if not ns.tracking_uri:
        parser.error("give --tracking-uri, --local DIR, or set MLFLOW_TRACKING_URI")
    _seed_and_report(ns.tracking_uri)


def _seed_and_report(uri: str) -> None:
    for v in seed_demo_registry(uri):
        shown = ", ".join(f"{k}={v.metrics[k]:.3f}" for k in sorted(v.metrics)[:3])
        print(f"{v.model:18} v{v.version:3} @{v.alias:11} {shown}  {'registered' if v.created else 'already there'}")
    # Judging challengers uses the catalogue's own gates: `python -m ops demo` shows that table.


if __name__ == "__main__":
    main()
