"""Cron schedules as Kubernetes CronJobs read them: five fields, or one of the @ macros.

The CronJob controller parses `spec.schedule` with robfig/cron v3's standard parser
(kubernetes pkg/controller/cronjob/utils.go: cron.ParseStandard), so this accepts exactly its syntax:
minute 0-59, hour 0-23, day of month 1-31, month 1-12 or JAN-DEC, day of week 0-6 or SUN-SAT; each field
a list of `*`, `?` (day fields), `N`, `N-M`, `*/S` or `N-M/S`, `N/S`; and @yearly, @annually,
@monthly, @weekly, @daily, @midnight, @hourly. Kubernetes refuses a TZ= prefix (use spec.timeZone).
"""

from __future__ import annotations

import re

MACROS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
_MONTHS = {
    m: i
    for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)
}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
# (name, low, high, names, whether '?' is allowed)
_FIELDS: tuple[tuple[str, int, int, dict[str, int], bool], ...] = (
    ("minute", 0, 59, {}, False),
    ("hour", 0, 23, {}, False),
    ("day of month", 1, 31, {}, True),
    ("month", 1, 12, _MONTHS, False),
    ("day of week", 0, 6, _DAYS, True),
)
_PART = re.compile(r"^(?P<range>\*|\?|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:/(?P<step>\d+))?$")


def _value(text: str, field: str, low: int, high: int, names: dict[str, int]) -> int:
    value = names.get(text.upper()) if not text.isdigit() else int(text)
    if value is None:
        known = f" or a name ({', '.join(names)})" if names else ""
        raise ValueError(f"{field} {text!r} is not a number{known}")
    if not low <= value <= high:
        raise ValueError(f"{field} {value} is outside {low}-{high}")
    return value


def _check_field(text: str, field: str, low: int, high: int, names: dict[str, int], question: bool) -> None:
    for part in text.split(","):
        match = _PART.match(part)
        if not match:
            raise ValueError(f"{field} {part!r} is not *, N, N-M or a step (*/S, N-M/S)")
        spec, step = match.group("range"), match.group("step")
        if step is not None and int(step) < 1:
            raise ValueError(f"{field} step {step} must be at least 1")
        if spec == "?" and not question:
            raise ValueError(f"{field} cannot be '?' (only the day fields can)")
        if spec in ("*", "?"):
            continue
        start, _, end = spec.partition("-")
        first = _value(start, field, low, high, names)
        if end and _value(end, field, low, high, names) < first:
            raise ValueError(f"{field} range {spec} runs backwards")


def cron_problem(schedule: str) -> str | None:
    """What is wrong with `schedule` as a CronJob schedule, or None when the controller accepts it."""
    text = schedule.strip()
    if text.startswith(("TZ=", "CRON_TZ=")):
        return "a time zone prefix is refused by Kubernetes (the platform sets timeZone Etc/UTC)"
    if text.startswith("@"):
        return None if text in MACROS else f"{text!r} is not one of {', '.join(sorted(MACROS))}"
    fields = text.split()
    if len(fields) != 5:
        return f"has {len(fields)} fields; a schedule has 5 (minute hour day-of-month month day-of-week)"
    try:
        for value, (field, low, high, names, question) in zip(fields, _FIELDS, strict=True):
            _check_field(value, field, low, high, names, question)
    except ValueError as err:
        return str(err)
    return None
