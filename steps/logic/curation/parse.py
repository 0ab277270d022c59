"""JSONL lines of production records -> interactions, every bad line named with its number and field.

Blank lines are skipped. A line is invalid when it is not JSON, not an object, does not have the record
shape (`log_records.LogRecord`), or reuses another line's `id` with other content (a line repeated whole
is a duplicate, which deduplication removes). The policy decides what an invalid line does:
- `fail`: the whole batch is refused with one InvalidInputError listing every problem; nothing is returned;
- `skip`: the line is left out and listed as (line, reason); the other lines are read as with `fail`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from pydantic import ValidationError

from steps.errors import InvalidInputError
from steps.logic.curation.interaction import Interaction
from steps.logic.curation.log_records import LogRecord

OnInvalid = Literal["fail", "skip"]
POLICIES: tuple[OnInvalid, ...] = ("fail", "skip")
MAX_ERRORS_SHOWN = 20
_WHOLE = "(record)"


class RejectedLine(NamedTuple):
    line: int
    reason: str  # "<field>: <what is wrong; what to do>"


@dataclass(frozen=True)
class Parsed:
    interactions: list[Interaction]
    rejected: list[RejectedLine]
    read: int  # non-blank lines


def _hint(kind: str, message: str) -> str:
    if kind == "missing":
        return "missing; add it (docs/curation.md shows the record shape)"
    if kind == "extra_forbidden":
        return "not a field of a production record; remove it or move it into metadata"
    message = message.removeprefix("Value error, ")
    return message if ";" in message else f"{message}; fix the field or remove the line"


def _problems(error: ValidationError) -> list[str]:
    return [
        f"{'.'.join(str(part) for part in item['loc']) or _WHOLE}: {_hint(item['type'], item['msg'])}"
        for item in error.errors(include_url=False)
    ]


def _read(text: str) -> tuple[dict[str, Any] | None, list[str]]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return None, [f"{_WHOLE}: not valid JSON ({error}); write one JSON object per line"]
    if not isinstance(value, dict):
        return None, [f"{_WHOLE}: expected a JSON object, got {type(value).__name__}; write one record per line"]
    return value, []


def parse_lines(lines: Iterable[str], source: str, on_invalid: OnInvalid = "fail") -> Parsed:
    """Validate every line; raise (fail) or list (skip) the invalid ones."""
    if on_invalid not in POLICIES:
        raise InvalidInputError(f"on_invalid must be one of {', '.join(POLICIES)}, got {on_invalid!r}")
    interactions: list[Interaction] = []
    rejected: list[RejectedLine] = []
    first_with_id: dict[str, tuple[int, dict[str, Any]]] = {}
    read = 0
    for line, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        read += 1
        raw, problems = _read(text)
        if raw is not None:
            try:
                record = LogRecord.model_validate(raw)
            except ValidationError as error:
                problems = _problems(error)
            else:
                problems = _id_clash(record, raw, line, first_with_id)
                if not problems:
                    interactions.append(record.interaction(line))
        rejected.extend(RejectedLine(line, problem) for problem in problems)
    if rejected and on_invalid == "fail":
        raise InvalidInputError(_failure(source, rejected))
    return Parsed(interactions, rejected, read)


def _id_clash(
    record: LogRecord, raw: dict[str, Any], line: int, first_with_id: dict[str, tuple[int, dict[str, Any]]]
) -> list[str]:
    if record.id is None:
        return []
    if record.id not in first_with_id:
        first_with_id[record.id] = (line, raw)
        return []
    first_line, first_raw = first_with_id[record.id]
    if first_raw == raw:
        return []
    return [f"id: {record.id!r} is also on line {first_line} with other content; give each record its own id"]


def _failure(source: str, rejected: list[RejectedLine]) -> str:
    shown = [f"{source}:{item.line}: {item.reason}" for item in rejected[:MAX_ERRORS_SHOWN]]
    more = [f"... and {len(rejected) - MAX_ERRORS_SHOWN} more"] if len(rejected) > MAX_ERRORS_SHOWN else []
    lines = len({item.line for item in rejected})
    return "\n".join(
        [
            f"{source}: {len(rejected)} problem(s) on {lines} line(s); nothing was curated:",
            *shown,
            *more,
            "Fix these lines, or curate with on_invalid: skip to leave them out, and run again.",
        ]
    )
