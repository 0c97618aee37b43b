"""`python -m ops cost`: a stack's monthly GPU cost ceiling (plus its Memorystore instances, at their tier and
capacity), the figure on the PR comment's cost line.

The ceiling (guardrails/cost.py: every GPU pool at its most nodes, plus every canary's GPU pods) depends
on the stack files and the catalogue, never on which model version is served, so it is computed from an
offline run of the whole program with every ModelVersion answered from an empty registry snapshot: no
registry, no credentials, no cloud. CI runs it on the base branch and on the change and hands the pair to
`preview`/`preview-offline --cost`, which put it in the stack's report.
"""

from __future__ import annotations

import json
from pathlib import Path

from ops.offline.engine import run_program
from ops.offline.guardrail_gate import guard_run
from ops.offline.render import RENDER_OVERRIDES
from ops.offline.snapshot import RegistrySnapshot, SnapshotResolver
from ops.report.stack_report import CostChange, load_costs
from ops.stack_config import load_stack_config

NO_MODELS = RegistrySnapshot(
    source="(no registry: the cost ceiling needs no model version)", stack="", taken_at="", models={}
)


def monthly_ceiling(project_dir: Path, stack: str) -> float | None:
    """The stack's monthly GPU ceiling plus its managed data services (Memorystore) in USD at list prices;
    None when a GPU or a service has no price in facts/."""
    config = load_stack_config(project_dir, stack, overrides=RENDER_OVERRIDES)
    run = run_program(project_dir, config, preview=True, resolve_dynamic=SnapshotResolver(NO_MODELS))
    return guard_run(run).monthly_usd


def cost_change(stack: str, ceiling: float, previous_file: Path | None) -> CostChange:
    previous = load_costs(previous_file).get(stack) if previous_file else None
    return CostChange(ceiling=round(ceiling, 2), previous=previous.ceiling if previous else None)


def write_costs(path: Path, stack: str, change: CostChange) -> None:
    """`{"<stack>": {"ceiling", "previous", "currency"}}`, the shape `--cost` reads (stack_report.load_costs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {stack: {"ceiling": change.ceiling, "previous": change.previous, "currency": change.currency}}
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
