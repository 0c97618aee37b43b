"""One line per resource event while an operation runs: CI logs show progress, not a silent minute.

On a terminal (ops/progress.py decides) the same lines print above one live line that counts the
resources the engine has stepped through, with the one it is on; the live line ends with the operation's
summary (or its cancel event, which the engine always sends last)."""

from __future__ import annotations

from collections.abc import Callable

from pulumi.automation import EngineEvent

from ops.progress import Phase, Progress

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


def printer(
    write: Callable[[str], object], progress: Progress | None = None, title: str = "resources"
) -> Callable[[EngineEvent], None]:
    if progress is None or not progress.live:

        def on_event(event: EngineEvent) -> None:
            line = progress_line(event)
            if line is not None:
                write(line)

        return on_event

    live = progress
    opened: list = []  # [(context manager, phase)] while the live line shows

    def on_live_event(event: EngineEvent) -> None:
        ending = event.summary_event is not None or event.cancel_event is not None
        if not opened and not ending:
            manager = live.phase(title)
            opened.append((manager, manager.__enter__()))
        phase: Phase | None = opened[0][1] if opened else None
        if phase is not None and event.resource_pre_event is not None:
            phase.advance(detail=event.resource_pre_event.metadata.urn.rsplit("::", 1)[-1])
        line = progress_line(event)
        if line is not None:
            live.line(line)
        if ending and opened:
            manager, _ = opened.pop()
            manager.__exit__(None, None, None)

    return on_live_event
