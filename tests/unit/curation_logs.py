"""Production log records for the curation tests: OpenAI chat-completion logs as JSONL lines."""

from __future__ import annotations

import json
from typing import Any

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_bill",
            "description": "A customer's bill",
            "parameters": {"type": "object", "properties": {"month": {"type": "string"}}},
        },
    }
]


def call(name: str, arguments: dict[str, Any], call_id: str = "call_1") -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}


def log(
    question: str,
    answer: str | None = "It is 12.50 USD.",
    *,
    calls: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """One record: a system and a user message, the model's answer (text and/or calls), other fields as given."""
    message: dict[str, Any] = {"role": "assistant", "content": answer, "refusal": None, "annotations": []}
    if calls:
        message["tool_calls"] = calls
    return {
        "request": {
            "model": "agent-v1",
            "temperature": 0.2,
            "messages": [{"role": "system", "content": "You help with bills."}, {"role": "user", "content": question}],
            **({"tools": TOOLS} if calls else {}),
        },
        "response": {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1735689600,
            "model": "agent-v1",
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
            "usage": {"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25},
        },
        **fields,
    }


def lines(*records: dict[str, Any] | str) -> list[str]:
    """JSONL lines (a string is a line as it is)."""
    return [record if isinstance(record, str) else json.dumps(record) for record in records]


def many(count: int, intent: str, **fields: Any) -> list[dict[str, Any]]:
    """`count` distinct questions of one intent."""
    return [
        log(f"{intent} question number {index}?", f"{intent} answer {index}", intent=intent, **fields)
        for index in range(count)
    ]
