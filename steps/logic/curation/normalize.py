"""Normalized forms of conversations and answers, to compare them (deduplication, disagreement).

Text is compared case-insensitively with white space collapsed. Tool calls are compared by name and
arguments read as JSON (object keys in any order, 1 equal to 1.0, `true` never equal to 1); their ids and
the order of parallel calls do not matter. A tool result's `tool_call_id` is left out for the same reason
(ids differ from one log to the next). The tools a request offers are part of its conversation.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from steps.logic.chat_records import Message, ToolCall


def normal_text(text: str | None) -> str:
    return " ".join((text or "").casefold().split())


def _canonical(value: Any) -> Any:
    """JSON value with integral floats as integers, so that 1 and 1.0 read the same (booleans kept)."""
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _call(call: ToolCall) -> str:
    arguments = call.function.arguments
    parsed = json.loads(arguments) if isinstance(arguments, str) else arguments  # a JSON object (validated)
    return json.dumps([call.function.name, _canonical(parsed)], sort_keys=True, ensure_ascii=False)


def _message(message: Message) -> dict[str, Any]:
    return {
        "role": message.role,
        "content": normal_text(message.content),
        "tool_calls": sorted(_call(call) for call in message.tool_calls or []),
        "name": message.name,
    }


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def conversation_key(messages: list[Message], tools: list[dict[str, Any]] | None) -> str:
    """The same for two prompts that differ only in case, white space, call ids or call order."""
    return _digest({"messages": [_message(message) for message in messages], "tools": _canonical(tools or [])})


def answer_key(answer: Message) -> str:
    return _digest(_message(answer))


def answers_differ(first: Message, second: Message) -> bool:
    """Whether two answers differ in normalized text or in their tool calls."""
    return answer_key(first) != answer_key(second)
