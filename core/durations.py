"""Prometheus durations (`30s`, `12h30m`, `15d`), as retention, scrape intervals and rule windows take them."""

from __future__ import annotations

import re

PROMETHEUS_DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def duration_seconds(value: str) -> float:
    """Seconds of a duration that matches PROMETHEUS_DURATION (Prometheus's own units: y is 365 days)."""
    return sum(int(n) * _UNITS[unit] for n, unit in re.findall(r"([0-9]+)(ms|s|m|h|d|w|y)", value))
