"""Engine events the driver could not read, collected instead of lost.

The SDK reads the engine's events in a thread. When one does not parse (a CLI newer than the SDK sends an
op or a field the SDK's enums do not know) or our callback fails on it, the gRPC reader (CLIs after 3.205)
turns it into a `warnings.warn("Failed to parse engine event ...")` and drops the event, and the file
reader of older CLIs dies with a traceback in its thread and drops every event after it. Either way a
report or the prod guard would judge an incomplete list of changes. `collect()` catches both for the
length of one operation, so the driver can fail closed with one clear line instead.
"""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import version as installed_version
from typing import Any

_SDK_WARNINGS = ("Failed to parse engine event", "Error in event stream")


class UnreadableEvents(Exception):
    """An operation ended with engine events nobody read: its report and the prod guard are incomplete."""


def describe(text: str) -> str:
    """'resourcePreEvent: 'frobnicate' is not a valid OpType' from the SDK's warning text."""
    lines = text.splitlines()
    event, reason = "", lines[-1].strip() if lines else text
    for line in lines:
        if line.startswith("Event: "):
            try:
                payload = json.loads(line[len("Event: ") :])
            except ValueError:
                continue
            kinds = [k for k in payload if k not in ("sequence", "timestamp")] if isinstance(payload, dict) else []
            event = kinds[0] if kinds else ""
    return f"{event}: {reason}" if event else reason


@contextmanager
def collect() -> Iterator[list[str]]:
    """Yields a list that holds, once the block ends, one description per event that could not be read."""
    found: list[str] = []
    previous_hook = threading.excepthook

    def thread_failed(args: threading.ExceptHookArgs) -> None:
        found.append(f"the event reader stopped: {args.exc_type.__name__}: {args.exc_value}")

    threading.excepthook = thread_failed
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield found
    finally:
        threading.excepthook = previous_hook
    for warning in caught:
        text = str(warning.message)
        if text.startswith(_SDK_WARNINGS):
            found.append(describe(text))
        else:  # not ours to judge: show it as it would have been shown
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)


def read_all(what: str, operation: Callable[[], Any]) -> Any:
    """Runs one preview/up/refresh; raises UnreadableEvents when any of its events could not be read."""
    result = None
    with collect() as unread:
        try:
            result = operation()
        except RuntimeError as exc:  # the SDK's "summary event never found": the event stream broke off
            if "event" not in str(exc):
                raise
            unread.append(str(exc))
    if unread:
        done = (
            "the update ran, but its report is incomplete (see `pulumi stack history`)"
            if what == "up"
            else "its report would be incomplete, so it counts as failed"
        )
        raise UnreadableEvents(
            f"{what}: the driver could not read the Pulumi CLI's engine events ({unread[0]}"
            + (f"; {len(unread) - 1} more" if len(unread) > 1 else "")
            + f"); {done} "
            f"(fix: use a Pulumi CLI that the pinned SDK pulumi=={installed_version('pulumi')} knows, "
            "or upgrade the SDK pin)"
        )
    return result
