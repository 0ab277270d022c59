"""What an evaluation reads from a model's answer, and the per-item table it logs.

A sample is what the metric templates call `sample`: `output_text` (the answer's content, "" when it
only calls tools), `tool_calls` (OpenAI format, None when there are none) and the whole `response`.
"""

from __future__ import annotations

import json
from typing import Any


def sample_of(reply: dict[str, Any]) -> dict[str, Any]:
    """The sample of one OpenAI chat-completion response."""
    message = reply["choices"][0]["message"]
    return {
        "output_text": message.get("content") or "",
        "tool_calls": message.get("tool_calls") or None,
        "response": reply,
    }


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def evaluation_table(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Per-item rows as columns (an MLflow evaluation table); nested values become JSON text."""
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    return {column: [_cell(row.get(column)) for row in rows] for column in columns}
