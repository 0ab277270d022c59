"""The checks Argo Workflows applies to a CronWorkflow's schedules and timezone, done offline.

Argo parses each schedule with robfig/cron's standard parser (`cron.ParseStandard`): five fields (minute,
hour, day of month, month, day of week) or a descriptor (`@hourly`, `@daily`, `@every 6h`, ...), and loads the
timezone with Go's `time.LoadLocation` (an IANA name). A field is a comma-separated list of `*` or `?`
(any), a value, or a range `a-b`, each optionally with a step `/n`; months and days of the week also go by
their English three-letter names. A `CRON_TZ=`/`TZ=` prefix is refused here: the timezone has its own field.
"""

from __future__ import annotations

import re
import zoneinfo

# (name, lowest, highest, names) of the five fields, in order
FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")),
    ("day of week", 0, 6, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)
DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
GO_DURATION = re.compile(r"^(\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))*$")


def _value(text: str, low: int, names: tuple[str, ...]) -> int | None:
    if text.lower() in names:
        return names.index(text.lower()) + low
    return int(text) if text.isdigit() else None


def _field_problem(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> str | None:
    for part in text.split(","):
        span, _, step = part.partition("/")
        if step and (not step.isdigit() or int(step) == 0):
            return f"{name} {part!r}: the step after '/' must be a positive whole number"
        if span in ("*", "?"):
            continue
        first, _, last = span.partition("-")
        start, end = _value(first, low, names), _value(last, low, names) if last else None
        if start is None or (last and end is None):
            spelled = f" or a name ({', '.join(names)})" if names else ""
            return f"{name} {part!r}: not a number from {low} to {high}{spelled}, '*', or a range a-b"
        end = end if end is not None else start
        if not (low <= start <= high and low <= end <= high):
            return f"{name} {part!r}: outside {low}-{high}"
        if start > end:
            return f"{name} {part!r}: the range ends before it starts"
    return None


def schedule_problem(schedule: str) -> str | None:
    """Why Argo would refuse `schedule`, or None when robfig/cron's standard parser accepts it."""
    text = schedule.strip()
    if text.startswith(("CRON_TZ=", "TZ=")):
        return f"{schedule!r}: set the timezone in its own field, not as a {text.split('=')[0]}= prefix"
    if text.startswith("@"):
        if text in DESCRIPTORS:
            return None
        every = text.removeprefix("@every").strip()
        if text.startswith("@every ") and GO_DURATION.match(every) and re.search(r"[1-9]", every):
            return None
        return f"{schedule!r}: unknown descriptor; use one of {', '.join(DESCRIPTORS)} or '@every <duration>' (e.g. 6h)"
    parts = text.split()
    if len(parts) != len(FIELDS):
        return f"{schedule!r}: has {len(parts)} fields; a schedule has 5 (minute hour day-of-month month day-of-week)"
    for part, (name, low, high, names) in zip(parts, FIELDS, strict=True):
        problem = _field_problem(part, name, low, high, names)
        if problem:
            return f"{schedule!r}: {problem}"
    return None


def timezone_problem(timezone: str) -> str | None:
    """Why `timezone` is no IANA timezone name ("" and "Local": the controller's own); None when it is one, or
    when no timezone database is installed here to tell."""
    if timezone in ("", "Local"):
        return None
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        if not zoneinfo.available_timezones():
            return None
        return f"{timezone!r} is not an IANA timezone name (e.g. Europe/Madrid, America/New_York, UTC)"
    return None
