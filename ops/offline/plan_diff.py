"""The pull-request report without a Pulumi backend: compare the head's offline render with the base's.

A fork's workflow renders the base branch and the pull request with the same registry snapshot, then
turns the two plans into the same `ChangeLog` a real preview produces: resources keyed by type and name
are created, deleted, updated or the same; a node pool whose replacing properties differ (the
component's own REPLACING_SETTINGS table, from the Google provider's ForceNew schema) is a replace. The
ModelVersion rows compare the snapshot (what is deployed) with the head's version (the snapshot's or a
catalogue pin). Without a base plan every resource counts as a create, and a note says so.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from components.cluster.gpu_node_pool import REPLACING_SETTINGS
from core.config_keys import PROJECT
from ops.automation.changes import ChangeLog, ResourceChange
from ops.offline.program_run import ProgramRun
from ops.offline.render import _plan_entry
from ops.offline.snapshot import RegistrySnapshot
from ops.resource_types import DYNAMIC_TYPE

NODE_POOL_TYPE = "gcp:container/nodePool:NodePool"


def _get(value: Any, path: str) -> Any:
    for part in re.findall(r"[^.\[\]]+", path):
        if isinstance(value, list) and part.isdigit():
            value = value[int(part)] if int(part) < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def _replace_keys(type_: str, old: dict, new: dict) -> tuple[str, ...]:
    if type_ != NODE_POOL_TYPE:
        return ()
    return tuple(
        s.provider_property
        for s in REPLACING_SETTINGS
        if _get(old, s.provider_property) != _get(new, s.provider_property)
    )


def _comparable(inputs: dict) -> dict:
    return {k: v for k, v in inputs.items() if k != "__provider"}


def load_plan(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _urn(stack: str, type_: str, name: str) -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{type_}::{name}"


def _model_state(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    gate = entry.get("gate") or {}
    return {**entry, "metrics": dict(gate.get("candidate_metrics") or {})}


def _change(
    op: str, urn: str, type_: str, old: dict | None, new: dict | None, diffs=(), replace_keys=()
) -> ResourceChange:
    """The state before is both the old inputs and outputs: a render has no separate outputs."""
    return ResourceChange(
        op=op,
        urn=urn,
        type=type_,
        old_inputs=old,
        old_outputs=old,
        new_inputs=new,
        diffs=tuple(diffs),
        replace_keys=tuple(replace_keys),
    )


def offline_changes(run: ProgramRun, snapshot: RegistrySnapshot | None, base_plan: dict | None) -> ChangeLog:
    by_urn = {r.urn: r for r in run.resources}
    head = {(r.type, r.name): (r, _comparable(_plan_entry(r, by_urn)["inputs"])) for r in run.resources if r.custom}
    base = {
        (e["type"], e["name"]): _comparable(e.get("inputs") or {})
        for e in (base_plan or {}).get("resources", [])
        if e.get("custom")
    }
    log = ChangeLog()
    for (type_, name), (resource, inputs) in head.items():
        urn = _urn(run.stack, type_, name)
        if type_ == DYNAMIC_TYPE and "registered_model" in resource.outputs:
            model = str(resource.outputs.get("model", ""))
            old = _model_state((snapshot.models if snapshot else {}).get(model))
            new = {**_comparable(resource.outputs)}
            op = "create" if old is None else ("same" if str(old["version"]) == str(new["version"]) else "update")
            diffs: tuple[str, ...] = ("version",) if op == "update" else ()
            log.changes.append(_change(op, urn, type_, old, new, diffs))
            continue
        if base_plan is None or (type_, name) not in base:
            log.changes.append(ResourceChange("create", urn, type_, new_inputs=inputs))
            continue
        before = base[(type_, name)]
        if before == inputs:
            log.changes.append(_change("same", urn, type_, before, inputs))
            continue
        diffs = tuple(sorted(k for k in set(before) | set(inputs) if before.get(k) != inputs.get(k)))
        replace = _replace_keys(type_, before, inputs)
        log.changes.append(_change("replace" if replace else "update", urn, type_, before, inputs, diffs, replace))
    for (type_, name), before in base.items():
        if (type_, name) not in head:
            log.changes.append(_change("delete", _urn(run.stack, type_, name), type_, before, None))
    return log
