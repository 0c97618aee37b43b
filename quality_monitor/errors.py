"""The one error a monitor run ends with when it cannot publish honest values (`python -m quality_monitor`
prints its message, without a traceback, and exits non-zero; nothing is pushed)."""

from __future__ import annotations


class MonitorError(Exception):
    """A run that must not publish: the message names the model, the version or source, and the fix."""

    exit_code = 2


class PushFailed(MonitorError):
    """The Pushgateway could not be reached or refused the push: it keeps the values it had."""

    exit_code = 3
