"""`python -m ops demo`: a newcomer's first run, on an embedded registry.

Starts a local MLflow server (sqlite under .demo/, kept between runs), fills it with the example
catalogue's models trained for real on synthetic data (idempotent: a rerun adds nothing), renders a
stack offline against it, and prints what each model resolved to and what its gates said. It also
evaluates each model's `challenger` for promotion to the next environment, which is where a weaker
challenger is refused: shown as a refusal with its reason, not as a crash.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from catalogue.loader import load_catalogue
from catalogue.schema import ModelSpec
from ops.demo_registry import DEMO_MODELS, seed_demo_registry
from ops.local_mlflow import start_local_mlflow
from ops.progress import Progress
from ops.render import render, summary
from registry.connection import Connection
from registry.connection_keys import CONFIG_URI
from registry.resolution import GateRefused, ResolutionError, resolve_and_gate
from registry.version_args import ModelVersionArgs

NEXT_ENVIRONMENT = {"local": "dev", "dev": "staging", "staging": "prod"}


@dataclass(frozen=True)
class Row:
    model: str
    environment: str
    selector: str
    version: str
    metrics: str
    verdict: str


def _key_metrics(model: ModelSpec, environment: str, metrics: Mapping[str, float]) -> str:
    gates = model.gates_for(environment)
    names = list(gates.min_metrics) + (list(gates.champion.metrics) if gates.champion else [])
    names = list(dict.fromkeys(names)) or sorted(metrics)[:2]
    return ", ".join(f"{n}={metrics[n]:.3f}" for n in names[:3] if n in metrics)


def _verdict(gate: dict) -> str:
    if gate.get("bypassed"):
        return "passed (quality gates bypassed by pin)"
    reasons = [r for r in gate.get("reasons", []) if r]
    return "passed" + (f" ({'; '.join(reasons)})" if reasons else "")


def deployed_rows(run, catalogue, environment: str) -> list[Row]:
    rows = []
    for name, info in sorted((run.outputs.get("models") or {}).items()):
        model = next(m for m in catalogue.models if m.name == name)
        gate = info.get("gate") or {}
        rows.append(
            Row(
                name,
                environment,
                info["selector"],
                f"v{info['version']}",
                _key_metrics(model, environment, gate.get("candidate_metrics") or {}),
                _verdict(gate),
            )
        )
    return rows


def promotion_rows(uri: str, models: tuple[ModelSpec, ...], environment: str) -> list[Row]:
    """What `challenger` would meet in the next environment's gates (nothing is deployed there yet,
    so the champion it must beat is the registry's `champion` alias)."""
    target = NEXT_ENVIRONMENT.get(environment)
    if target is None:
        return []
    client = Connection(uri).client()
    rows = []
    for model in models:
        if target not in model.environments:
            continue
        args = ModelVersionArgs(
            model=model.name,
            registered_model=model.registered_model,
            environment=target,
            selector={"alias": "challenger"},
            gates=model.gates_for(target).as_input(),
            record=False,
        )
        try:
            resolution = resolve_and_gate(client, args, None)
            rows.append(
                Row(
                    model.name,
                    target,
                    "alias=challenger",
                    f"v{resolution.version}",
                    _key_metrics(model, target, resolution.metrics),
                    _verdict(resolution.verdict.to_dict()),
                )
            )
        except GateRefused as refused:
            verdict = refused.verdict
            rows.append(
                Row(
                    model.name,
                    target,
                    "alias=challenger",
                    f"v{verdict.candidate.version}",
                    _key_metrics(model, target, verdict.candidate.metrics),
                    "REFUSED: " + "; ".join(verdict.reasons),
                )
            )
        except ResolutionError as error:
            rows.append(Row(model.name, target, "alias=challenger", "-", "", f"UNRESOLVED: {error}"))
    return rows


def table(rows: list[Row]) -> str:
    headers = Row("model", "env", "selector", "version", "metrics", "gate verdict")
    cells = [headers, *rows]
    widths = [
        max(len(getattr(r, f)) for r in cells) for f in ("model", "environment", "selector", "version", "metrics")
    ]
    lines = []
    for r in cells:
        lines.append(
            "  ".join(
                v.ljust(w)
                for v, w in zip((r.model, r.environment, r.selector, r.version, r.metrics), widths, strict=False)
            )
            + "  "
            + r.verdict
        )
    return "\n".join(lines)


def run_demo(
    project_dir: Path, stack: str = "dev", out_dir: Path | None = None, progress: Progress | None = None
) -> int:
    progress = progress or Progress.plain()
    data = project_dir / ".demo" / "mlflow"
    print(f"starting a local MLflow registry (data in {data.relative_to(project_dir)}) ...", flush=True)
    with start_local_mlflow(data) as server:
        # The provider honours MLFLOW_TRACKING_URI over stack config, as MLflow tools do: point it here.
        os.environ["MLFLOW_TRACKING_URI"] = server.uri
        os.environ.pop("MLFLOW_TRACKING_TOKEN", None)
        total = sum(len(m.versions) for m in DEMO_MODELS)
        with progress.phase("trained model versions registered", total=total) as registered:
            seeded = seed_demo_registry(server.uri, on_version=lambda name: registered.advance(detail=name))
        created = sum(1 for s in seeded if s.created)
        print(
            f"registry {server.uri}: {len(seeded)} model versions ({created} registered now, "
            f"{len(seeded) - created} already there)\n",
            flush=True,
        )
        result = render(project_dir, stack, out_dir, overrides={CONFIG_URI: server.uri}, progress=progress)
        print(summary(result))
        catalogue = load_catalogue(project_dir / "models")
        environment = result.run.outputs["environment"]
        print(f"\nmodel versions deployed by stack {stack}:")
        print(table(deployed_rows(result.run, catalogue, environment)))
        promotions = promotion_rows(server.uri, catalogue.for_environment(environment), environment)
        if promotions:
            print(
                f"\npromotion candidates ({environment} -> {NEXT_ENVIRONMENT[environment]}), judged by the next environment's gates:"
            )
            print(table(promotions))
    return 0
