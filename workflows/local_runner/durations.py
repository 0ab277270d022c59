"""Go-style duration strings as Argo uses them ("10s", "1m30s", "24h", "100ms"; a bare number is seconds)."""

from __future__ import annotations

import re

from workflows.local_runner.errors import RunnerError

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration(value: object, path: str) -> float:
    """Seconds for an Argo duration; raises RunnerError naming `path` for anything else."""
    if isinstance(value, bool):
        raise RunnerError(f"{path}: {value!r} is not a duration (use e.g. '10s', '5m', '24h' or a number of seconds)")
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    pos, total = 0, 0.0
    while pos < len(text):
        match = _PART.match(text, pos)
        if match is None:
            raise RunnerError(
                f"{path}: {value!r} is not a duration (use e.g. '10s', '5m', '24h' or a number of seconds)"
            )
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not text:
        raise RunnerError(f"{path}: empty duration")
    return total
