"""The pull-request comment: one markdown body for a set of stacks, bounded in size.

Per stack: counts per operation; GPU pools and the cluster being replaced or deleted, flagged first;
model version changes with metric deltas and gate verdicts; policy violations; the cost ceiling; the
full diff collapsed. GitHub refuses comments over 65,536 characters: the diffs share what is left after
everything else and are cut with a note, never the summary.
"""

from __future__ import annotations

import json
from typing import Any

from ops.automation.changes import NO_CHANGE_OPS, ResourceChange
from ops.automation.exit_codes import ExitCode
from ops.automation.protected_resources import PROTECTED_TYPES, VERBS, is_protected
from ops.report.model_versions import model_version_changes
from ops.report.stack_report import StackReport

MARKER = "<!-- mlops-platform:pulumi-report -->"
MAX_CHARS = 60_000
MAX_VALUE_CHARS = 160
OP_ORDER = ("create", "update", "replace", "delete", "same")
_OP_WORDS = {"create": "to create", "update": "to update", "replace": "to replace", "delete": "to delete"}
_OP_WORDS |= {"same": "unchanged"}
_SIGNS = {"create": "+", "update": "~", "replace": "±", "delete": "-"}
_SECRET_SIG = "4dabf18193072939515e22adb298388d"  # how a secret value looks in the wire format
_STATUS = {
    ExitCode.OK: "✅",
    ExitCode.CHANGES: "🟡 drift",
    ExitCode.REFUSED: "⛔ refused",
    ExitCode.POLICY: "⛔ policy",
}


def counts_text(counts: dict[str, int]) -> str:
    ordered = [op for op in OP_ORDER if counts.get(op)] + sorted(op for op in counts if op not in OP_ORDER)
    return ", ".join(f"{counts[op]} {_OP_WORDS.get(op, op)}" for op in ordered if counts[op]) or "no changes"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _value(value: Any) -> str:
    if isinstance(value, dict) and _SECRET_SIG in value:
        return "[secret]"
    text = json.dumps(_masked(value), sort_keys=True, default=str)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return "[secret]" if _SECRET_SIG in value else {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def _alerts(changes: list[ResourceChange]) -> list[str]:
    lines = []
    for change in changes:
        if is_protected(change):
            what = PROTECTED_TYPES[change.type]
            forced = f", forced by `{', '.join(change.replace_keys)}`" if change.replace_keys else ""
            lines.append(
                f"> **{what} `{change.name}` will be {VERBS.get(change.op, change.op)}{forced}.** Every model "
                "scheduled on it is evicted; `up` in prod refuses this without `--allow-replace`."
            )
    return ["> [!CAUTION]", *lines, ""] if lines else []


def _models_table(changes: list[ResourceChange]) -> list[str]:
    rows = model_version_changes(changes)
    if not rows:
        return []
    icons = {"passed": "✅", "refused": "❌", "bypassed (pinned)": "⚠️"}
    lines = ["**Model versions**", "", "| Model | Version | Metrics | Gate |", "|---|---|---|---|"]
    for row in rows:
        metrics = "<br>".join(m.describe() for m in row.metrics) or "—"
        gate = f"{icons.get(row.verdict, '')} {row.verdict}".strip()
        if row.reasons:
            gate += "<br>" + "<br>".join(_cell(r) for r in row.reasons[:3])
        lines.append(f"| `{row.model}` | {row.version_text()} | {_cell(metrics)} | {gate} |")
    return [*lines, ""]


def _violations(report: StackReport) -> list[str]:
    if not report.log.violations:
        return []
    lines = ["**Policy violations**", "", "| Enforcement | Policy | Resource | Message |", "|---|---|---|---|"]
    for v in report.log.violations:
        resource = f"`{v.urn.rsplit('::', 1)[-1]}`" if v.urn else "stack"
        lines.append(f"| {v.enforcement} | `{v.pack}/{v.policy}` | {resource} | {_cell(v.message.strip())} |")
    return [*lines, ""]


def _diff_lines(report: StackReport) -> list[str]:
    """Planned changes compare old and new inputs; drift compares the state with what was read back."""
    steps = [(c, c.old_inputs, c.new_inputs, "") for c in report.log.changed()]
    steps += [(c, c.old_outputs, c.new_outputs, " (drift)") for c in report.log.drift]
    lines = []
    for change, old, new, label in steps:
        lines.append(f"{_SIGNS.get(change.op, '~')} {change.op}{label} {change.type} {change.name}")
        old, new = old or {}, new or {}
        keys = change.diffs or tuple(sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k)))
        for key in keys:
            if key == "__provider":
                continue
            if key in old:
                lines.append(f"-     {key}: {_value(old[key])}")
            if key in new:
                lines.append(f"+     {key}: {_value(new[key])}")
    return lines


def _bounded(lines: list[str], budget: int) -> str:
    out, used = [], 0
    for i, line in enumerate(lines):
        if used + len(line) + 1 > budget:
            out.append(f"… {len(lines) - i} more line(s) cut to fit the comment: see the job log")
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)


def _stack_head(report: StackReport) -> list[str]:
    status = _STATUS.get(ExitCode(report.exit_code), f"❌ exit {report.exit_code}")
    lines = [f"### `{report.stack}` {status} {counts_text(report.log.counts())}", f"<sub>{report.source}</sub>", ""]
    lines += [f"> {m}" for m in report.messages]
    if report.messages:
        lines.append("")
    lines += _alerts(report.log.changes)
    lines += _models_table(report.log.changes)
    lines += _violations(report)
    if report.cost:
        lines += [f"**Cost ceiling**: {report.cost.describe()}", ""]
    lines += [f"- {note}" for note in report.notes]
    if report.notes:
        lines.append("")
    return lines


def render_comment(reports: list[StackReport], title: str = "Pulumi preview", max_chars: int = MAX_CHARS) -> str:
    """The whole comment (marker first, so the poster finds it again). Never longer than `max_chars`."""
    reports = sorted(reports, key=lambda r: r.stack)
    heads = ["\n".join(_stack_head(r)) for r in reports]
    header = f"{MARKER}\n## {title}\n\n"
    frame = "<details><summary>Full diff ({n} change(s))</summary>\n\n```diff\n{body}\n```\n</details>\n\n"
    fixed = len(header) + sum(len(h) + len(frame) + 1 for h in heads)
    budget = max(0, (max_chars - fixed) // max(1, len(reports)))
    parts = [header]
    for report, head in zip(reports, heads, strict=True):
        parts.append(head + "\n")
        diff = _diff_lines(report)
        if diff:
            n = len([*report.log.changed(), *report.log.drift])
            parts.append(frame.format(n=n, body=_bounded(diff, budget)))
    body = "".join(parts).rstrip() + "\n"
    return body if len(body) <= max_chars else body[: max_chars - 40] + "\n\n… cut to fit the comment\n"


def stack_changed(report: StackReport) -> bool:
    return any(c.op not in NO_CHANGE_OPS for c in report.log.changes) or bool(report.log.drift)
