"""One line per resource event while an operation runs: CI logs show progress, not a silent minute."""

from __future__ import annotations

from collections.abc import Callable

from pulumi.automation import EngineEvent

_SYMBOLS = {"create": "+", "update": "~", "delete": "-", "replace": "+-", "create-replacement": "++"}
_SYMBOLS |= {"delete-replaced": "--", "same": " ", "read": ">", "refresh": ">"}


def progress_line(event: EngineEvent) -> str | None:
    """The line for an event, or None for events nobody needs to watch (prelude, stdout, unchanged)."""
    if event.resource_pre_event is not None:
        meta = event.resource_pre_event.metadata
        op = str(getattr(meta.op, "value", meta.op))
        if op == "same":
            return None
        name = meta.urn.rsplit("::", 1)[-1]
        return f"{_SYMBOLS.get(op, '?'):>2} {op:<18} {meta.type}  {name}"
    if event.res_op_failed_event is not None:
        meta = event.res_op_failed_event.metadata
        return f" ! failed             {meta.type}  {meta.urn.rsplit('::', 1)[-1]}"
    if event.policy_event is not None:
        p = event.policy_event
        return f" ! policy {p.enforcement_level}: {p.policy_pack_name}/{p.policy_name}: {p.message.strip()}"
    if event.diagnostic_event is not None and event.diagnostic_event.severity in ("error", "warning"):
        return f" ! {event.diagnostic_event.severity}: {event.diagnostic_event.message.strip()}"
    return None


def printer(write: Callable[[str], object]) -> Callable[[EngineEvent], None]:
    def on_event(event: EngineEvent) -> None:
        line = progress_line(event)
        if line is not None:
            write(line)

    return on_event
