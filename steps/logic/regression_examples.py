"""The items a candidate got worse on, with their texts, from the per-item tables of an evaluation.

A business evaluation logs one table per side (`eval/<target>_items.json`, MLflow's table JSON:
`{"columns": [...], "data": [[...], ...]}`) with the columns id, input (the chat messages as JSON),
prediction (`{"output_text", "tool_calls"}` as JSON), reference (the reference fields as JSON) and one
column per score. An item regressed on a score when the candidate scored it lower than the base; for
0/1 scores these are exactly the gate's right -> wrong items. The worst drops come first, ties in the
base table's order.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from steps.errors import InvalidInputError

MAX_EXAMPLES = 3  # examples shown per score
MAX_CHARS = 400  # characters kept of each text


class Example(BaseModel):
    id: str
    input: str
    base_answer: str
    candidate_answer: str
    reference: str
    base_score: float
    candidate_score: float


class Regressions(BaseModel):
    metric: str
    binary: bool  # every compared value is 0 or 1: the drops are right -> wrong
    total: int  # items whose score dropped
    compared: int  # items both sides scored
    examples: list[Example]


def rows_by_id(table: Mapping[str, Any], side: str) -> dict[str, dict[str, Any]]:
    """The rows of an MLflow table as {id: {column: value}}."""
    columns, data = table.get("columns"), table.get("data")
    if not isinstance(columns, list) or not isinstance(data, list) or "id" not in columns:
        raise InvalidInputError(
            f"the {side} item table is not an MLflow table with an id column (expected keys columns and data)"
        )
    rows = [dict(zip(columns, values, strict=True)) for values in data]
    return {str(row["id"]): row for row in rows}


def truncate(text: str, limit: int = MAX_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _parsed(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _compact(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def input_text(value: Any) -> str:
    """The last user message of a chat input; other inputs as compact text."""
    messages = _parsed(value)
    if isinstance(messages, list):
        users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
        if users:
            return _compact(users[-1].get("content") or "")
    return "" if messages is None else _compact(messages)


def answer_text(value: Any) -> str:
    """A model's answer: its text, or its tool calls when it gave no text."""
    prediction = _parsed(value)
    if isinstance(prediction, dict):
        text = prediction.get("output_text") or ""
        calls = prediction.get("tool_calls")
        return text if text or not calls else _compact(calls)
    return "" if prediction is None else _compact(prediction)


def reference_text(value: Any) -> str:
    """The reference fields; a single field as its value."""
    reference = _parsed(value)
    if isinstance(reference, dict) and len(reference) == 1:
        reference = next(iter(reference.values()))
    return "" if reference is None else _compact(reference)


def _score(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def regressions(
    metric: str,
    base: Mapping[str, Any],
    candidate: Mapping[str, Any],
    limit: int = MAX_EXAMPLES,
    width: int = MAX_CHARS,
) -> Regressions | None:
    """The items `metric` dropped on, worst first; None when a table has no such column."""
    base_rows, cand_rows = rows_by_id(base, "base"), rows_by_id(candidate, "candidate")
    if metric not in base.get("columns", []) or metric not in candidate.get("columns", []):
        return None
    pairs: list[tuple[str, float, float]] = []
    for item_id, row in base_rows.items():
        other = cand_rows.get(item_id)
        b, c = _score(row.get(metric)), _score(other.get(metric)) if other else None
        if b is not None and c is not None:
            pairs.append((item_id, b, c))
    dropped = sorted((p for p in pairs if p[2] < p[1]), key=lambda p: p[2] - p[1])  # stable: ties keep base order
    examples = [
        Example(
            id=item_id,
            input=truncate(input_text(base_rows[item_id].get("input")), width),
            base_answer=truncate(answer_text(base_rows[item_id].get("prediction")), width),
            candidate_answer=truncate(answer_text(cand_rows[item_id].get("prediction")), width),
            reference=truncate(reference_text(base_rows[item_id].get("reference")), width),
            base_score=b,
            candidate_score=c,
        )
        for item_id, b, c in dropped[:limit]
    ]
    return Regressions(
        metric=metric,
        binary=all(b in (0.0, 1.0) and c in (0.0, 1.0) for _, b, c in pairs),
        total=len(dropped),
        compared=len(pairs),
        examples=examples,
    )
