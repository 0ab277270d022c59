"""Reading JSONL files: every line an object; a bad line is reported with its file and line number."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from steps.errors import InvalidInputError, NotFoundError
from steps.logic.field_paths import dotted
from steps.logic.json_text import SURROGATE_PROBLEM, lone_surrogate, parse_json


def read_jsonl(path: Path | str) -> list[tuple[int, dict[str, Any]]]:
    """(1-based line number, object) for every non-blank line of a JSONL file."""
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file; check the dataset path.")
    rows: list[tuple[int, dict[str, Any]]] = []
    with path.open("rb") as handle:
        for line_number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise InvalidInputError(
                    f"{path}:{line_number}: not UTF-8 text: {error}. Fix the line or remove it."
                ) from None
            if not text.strip():
                continue
            try:
                value = parse_json(text)
            except ValueError as error:
                what = "not valid JSON" if isinstance(error, json.JSONDecodeError) else "JSON that cannot be read"
                raise InvalidInputError(f"{path}:{line_number}: {what}: {error}. Fix the line or remove it.") from None
            if not isinstance(value, dict):
                raise InvalidInputError(
                    f"{path}:{line_number}: expected a JSON object, got {type(value).__name__}. "
                    "Each line must hold one record object."
                )
            surrogate = lone_surrogate(text, value)
            if surrogate is not None:
                raise InvalidInputError(
                    f"{path}:{line_number}: {dotted(surrogate)}: {SURROGATE_PROBLEM}. Fix the text or remove the line."
                )
            rows.append((line_number, value))
    return rows
