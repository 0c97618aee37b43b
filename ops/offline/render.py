"""`python -m ops render`: the whole program for one stack, offline, written out as YAML + plan.json.

It is the preview for people without cloud credentials (pull requests from forks) and a newcomer's
first run. Files are written to a temporary directory and moved into place only when the run
succeeded, so bad input leaves nothing behind (not even a half-updated previous render).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from catalogue.loader import load_catalogue
from core.problems import ConfigError
from guardrails.evaluate import GuardReport
from ops.offline.engine import run_program
from ops.offline.guardrail_gate import enforce
from ops.offline.mocks import DynamicResolver
from ops.offline.program_run import ProgramRun, RecordedResource
from ops.offline.render_target import check_target, mark
from ops.offline.rendered_manifests import render_file, render_yaml
from ops.offline.wire_values import mask
from ops.progress import Progress
from ops.resource_types import DYNAMIC_TYPE
from ops.stack_config import load_stack_config
from settings.stack import config_key

HELM_CHART = "kubernetes:helm.sh/v4:Chart"
# libyaml's emitter when PyYAML has it: the same text as yaml.SafeDumper (checked on every rendered object of
# the scale benchmark), several times faster.
YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
# Offline renders must not write to the registry: ModelVersion records deployments only on a real `up`.
RENDER_OVERRIDES = {config_key("recordDeployments"): "false"}
# plan.json's monthly cost ceiling in USD (guardrails/cost.py), absent when a price is missing: a pull
# request's preview reads the base's from it (ops/offline/scoped_preview.py).
COST_CEILING_KEY = "costCeilingUsd"
PLAN_FILE = "plan.json"


@dataclass(frozen=True)
class RenderResult:
    run: ProgramRun
    out_dir: Path
    files: list[Path]
    guard: GuardReport | None = None


def render(
    project_dir: Path,
    stack: str,
    out_dir: Path | None = None,
    overrides: dict[str, str] | None = None,
    resolve_dynamic: DynamicResolver | None = None,
    progress: Progress | None = None,
    only_models: frozenset[str] | None = None,
) -> RenderResult:
    """`overrides` replace stack config values (the demo points the stack at its local registry);
    `resolve_dynamic` answers for the registry (ops/offline/snapshot.py: a registry snapshot).
    out_dir is replaced only when it is new, empty or a previous render (ops/offline/render_target.py).
    `progress` shows models resolved n/N, resources registered and files written (default: plain lines).
    `only_models`: serving and delivery of these models only (ops/offline/scoped_preview.py); plan.json
    then names them under "scope"."""
    progress = progress or Progress.plain()
    out_dir = out_dir or project_dir / "rendered" / stack
    check_target(out_dir, project_dir)  # before the program runs: a refused path costs nothing
    config = load_stack_config(project_dir, stack, overrides={**(overrides or {}), **RENDER_OVERRIDES})
    # A render is a preview (see the module docstring): providers check, nothing is created. For ModelVersion
    # that is the resolution alone (2 registry requests), the same manifests and plan as a full run.
    with (  # the first phase opened closes last: its plain line comes after the models'
        progress.phase("resources registered") as registered,
        progress.phase("models resolved", total=_models_in(project_dir, config.values)) as models,
    ):
        phases = {"resolved": models, "registered": registered}
        run = run_program(
            project_dir,
            config,
            preview=True,
            resolve_dynamic=resolve_dynamic,
            on_step=lambda kind, name: phases[kind].advance(detail=name),
            only_models=only_models,
        )
    guard = enforce(run)  # mandatory guardrail violations raise here: nothing is written
    shown, out_dir = out_dir, out_dir.expanduser().resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        with progress.phase("files written", total=len(run.kubernetes_objects()) + 1) as written:
            files = _write(run, staging, written.advance, only_models, guard)
        mark(staging)
        check_target(shown, project_dir)  # again: the directory may have changed while the program ran
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return RenderResult(run=run, out_dir=out_dir, files=[out_dir / f.relative_to(staging) for f in files], guard=guard)


def _group_of(resource: RecordedResource, by_urn: dict[str, RecordedResource]) -> str:
    """The top-level component a resource belongs to (a model's name), or 'stack' for top-level ones."""
    current = resource
    while current.parent and current.parent in by_urn:
        current = by_urn[current.parent]
    return current.name if current is not resource else "stack"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.-]+", "-", text.lower()).strip("-")


def _plan_entry(resource: RecordedResource, by_urn: dict[str, RecordedResource]) -> dict:
    inputs = mask(resource.inputs)
    if resource.type == DYNAMIC_TYPE and "__provider" in inputs:
        inputs["__provider"] = f"[pickled provider, {len(str(inputs['__provider']))} characters]"
    parent = by_urn.get(resource.parent)
    return {
        "type": resource.type,
        "name": resource.name,
        "parent": parent.name if parent else None,
        "custom": resource.custom,
        "inputs": inputs,
        "protect": resource.options.get("protect", False),
        "dependsOn": sorted(by_urn[u].name for u in resource.options.get("dependencies", []) if u in by_urn),
    } | ({"customTimeouts": timeouts} if (timeouts := resource.options.get("customTimeouts")) else {})


def cost_ceiling(plan: dict | None) -> float | None:
    """The monthly cost ceiling a plan.json recorded (None: no plan, a price was missing, or an older render)."""
    value = (plan or {}).get(COST_CEILING_KEY)
    return value if isinstance(value, int | float) else None


def addon_entries(run: ProgramRun) -> list[dict]:
    """Each Helm chart the run installs: chart, version, repository, namespace and values, secrets masked.
    In chart order: the engine registers resources concurrently, so the run's own order varies."""
    entries = []
    for chart in sorted(run.by_type(HELM_CHART), key=lambda r: (r.inputs.get("chart", ""), r.name)):
        inputs = mask(chart.inputs)
        entries.append(
            {
                "name": chart.name,
                "chart": inputs.get("chart", ""),
                "version": inputs.get("version", ""),
                "repository": (inputs.get("repositoryOpts") or {}).get("repo", ""),
                "namespace": inputs.get("namespace", ""),
                "values": inputs.get("values", {}),
            }
        )
    return entries


def _models_in(project_dir: Path, values: dict[str, str]) -> int | None:
    """How many models the stack serves (the catalogue's entries for its environment); None when the
    catalogue does not load: the program then reports why, and the count shows no total."""
    try:
        catalogue = load_catalogue(project_dir / values.get(config_key("modelsDir"), "models"))
    except ConfigError:
        return None
    return len(catalogue.for_environment(values.get(config_key("environment"), "")))


def _write(
    run: ProgramRun,
    directory: Path,
    wrote: Callable[..., None] = lambda **_: None,
    only_models: frozenset[str] | None = None,
    guard: GuardReport | None = None,
) -> list[Path]:
    by_urn = {r.urn: r for r in run.resources}
    files = []
    directories = run.render_directories()
    for resource in run.kubernetes_objects():
        manifest = mask(resource.inputs)
        render_dir = run.render_directory(resource, directories)
        if render_dir is not None:  # gitops mode: where `pulumi up` writes it, for Argo CD to pull
            path = directory / render_dir / render_file(manifest)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render_yaml(manifest), encoding="utf-8")
            files.append(path)
            wrote(detail=path.name)
            continue
        group = _group_of(resource, by_urn)
        kind = manifest["kind"]
        name = manifest.get("metadata", {}).get("name", resource.name)
        path = directory / _slug(group) / f"{_slug(kind)}-{_slug(name)}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.dump(manifest, Dumper=YAML_DUMPER, sort_keys=False), encoding="utf-8")
        files.append(path)
        wrote(detail=path.name)
    plan: dict[str, Any] = {
        "stack": run.stack,
        "outputs": {k: ("[secret]" if k in run.secret_outputs else mask(v)) for k, v in run.outputs.items()},
        "addons": addon_entries(run),
        # Sorted: the engine registers resources concurrently, so their order varies from run to run.
        "resources": sorted((_plan_entry(r, by_urn) for r in run.resources), key=lambda e: (e["type"], e["name"])),
    }
    ceiling = guard.monthly_usd if guard is not None else None
    if ceiling is not None:
        plan[COST_CEILING_KEY] = round(ceiling, 2)
    if only_models is not None:  # not a whole render: the models whose serving and delivery it holds
        plan["scope"] = sorted(only_models)
    plan_path = directory / PLAN_FILE
    plan_path.write_text(json.dumps(plan, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")
    files.append(plan_path)
    wrote(detail=plan_path.name)
    return files


def summary(result: RenderResult) -> str:
    run = result.run
    counts = Counter(r.type for r in run.resources if r.custom)
    lines = [
        f"stack {run.stack}: {sum(counts.values())} resources, "
        f"{len(run.kubernetes_objects())} Kubernetes objects written to {result.out_dir}"
    ]
    for type_token, count in sorted(counts.items()):
        lines.append(f"  {count:4d}  {type_token}")
    models = run.outputs.get("models") or {}
    if models:
        lines.append("")
        lines.append(f"  {'model':<24} {'selector':<22} {'version':>7}  namespace")
        for name, info in sorted(models.items()):
            lines.append(
                f"  {name:<24} {info.get('selector', ''):<22} {str(info.get('version', '')):>7}  {info.get('namespace', '')}"
            )
    addons = addon_entries(run)
    if addons:
        lines.append("")
        lines.append(f"  {'add-on chart':<24} {'version':<10} namespace  (values in plan.json, secrets masked)")
        for addon in addons:
            lines.append(f"  {addon['chart']:<24} {addon['version']:<10} {addon['namespace']}")
    if result.guard is not None:
        lines += ["", *result.guard.summary()]
    for warning in run.warnings:
        lines.append(f"warning: {warning}")
    return "\n".join(lines)
