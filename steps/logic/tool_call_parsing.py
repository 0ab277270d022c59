"""Tool calls in a model's generated text, read into an OpenAI response's `content` and `tool_calls`.

A model without a tool-call parser in its server writes its calls as text. `parse_tool_calls` finds them in
the shapes models use, tried in this order:
1. `<tool_call>...</tool_call>` blocks (Hermes/Qwen style; the last one may lack its closing tag when the
   reply was cut there), each holding one call or a JSON list of calls;
2. fenced blocks (three backticks, optionally tagged `json`) holding calls;
3. the text's last part: one or more JSON calls or lists of calls, separated by white space, that run to
   the end of the text (the whole text, or text followed by JSON).
A call is `{"name": ..., "arguments": {...}}` (`"parameters"` is read as `"arguments"`, Llama's word;
arguments may also be JSON text of an object; an optional `"type": "function"` and `"id"` are allowed) or
the OpenAI shape `{"type": "function", "function": {"name", "arguments"}}`. Any other key makes a value
not a call. Tolerant but never guessing: when a shape's JSON does not parse, or one of its values is not a
call, that shape yields nothing; when no shape yields calls the reply has none and its text is kept whole.
The text outside the calls is the content (None when nothing else is left, as in OpenAI responses).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from steps.logic.json_text import decode_prefix, parse_json

_TAGGED = re.compile(r"<tool_call>(.*?)(?:</tool_call>|\Z)", re.DOTALL)
_FENCED = re.compile(r"```(?:json)?[ \t]*\n?(.*?)```", re.DOTALL | re.IGNORECASE)
_CALL_KEYS = {"name", "arguments", "parameters", "type", "id"}


@dataclass(frozen=True)
class ParsedReply:
    content: str | None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


def _arguments(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        try:
            value = parse_json(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def _call(value: Any) -> tuple[str, dict[str, Any], str | None] | None:
    """(name, arguments, id) of one call-shaped JSON value, else None."""
    if not isinstance(value, dict):
        return None
    if "function" in value and set(value) <= {"function", "type", "id"} and value.get("type", "function") == "function":
        inner = value["function"]
        found = _call(inner) if isinstance(inner, dict) and set(inner) <= {"name", "arguments"} else None
        call_id = value.get("id")
        return (found[0], found[1], call_id if isinstance(call_id, str) else None) if found else None
    name = value.get("name")
    if not set(value) <= _CALL_KEYS or not isinstance(name, str) or not name.strip():
        return None
    if ("arguments" in value) == ("parameters" in value) or value.get("type", "function") != "function":
        return None  # exactly one of arguments / parameters
    arguments = _arguments(value.get("arguments", value.get("parameters")))
    call_id = value.get("id")
    return (name, arguments, call_id if isinstance(call_id, str) else None) if arguments is not None else None


def _calls(value: Any) -> list[tuple[str, dict[str, Any], str | None]] | None:
    """The calls of one JSON value (a call or a non-empty list of calls), else None."""
    values = value if isinstance(value, list) else [value]
    calls = [_call(item) for item in values]
    if not calls or any(call is None for call in calls):
        return None
    return [call for call in calls if call is not None]


def _json_values(text: str) -> list[Any] | None:
    """The JSON values `text` is made of (separated by white space), or None when it is not only that."""
    values: list[Any] = []
    at = 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return values or None
        try:
            value, at = decode_prefix(text, at)
        except ValueError:
            return None
        values.append(value)


def _calls_in(text: str) -> list[tuple[str, dict[str, Any], str | None]] | None:
    values = _json_values(text)
    if values is None:
        return None
    found = [_calls(value) for value in values]
    if any(calls is None for calls in found):
        return None
    return [call for calls in found if calls is not None for call in calls]


def _blocks(text: str, pattern: re.Pattern[str]) -> tuple[list[tuple[str, dict[str, Any], str | None]], str] | None:
    """The calls of every block `pattern` finds and the text around them, or None when a block holds no calls."""
    matches = list(pattern.finditer(text))
    if not matches:
        return None
    calls = []
    for match in matches:
        found = _calls_in(match.group(1))
        if found is None:
            return None
        calls += found
    return calls, pattern.sub("\n", text)


def _trailing(text: str) -> tuple[list[tuple[str, dict[str, Any], str | None]], str] | None:
    """The calls that end the text (from the earliest `{` or `[` where they start) and the text before them."""
    for match in re.finditer(r"[\[{]", text):
        found = _calls_in(text[match.start() :])
        if found is not None:
            return found, text[: match.start()]
    return None


def parse_tool_calls(text: str) -> ParsedReply:
    """The content and OpenAI `tool_calls` of a generated reply (no calls: the text kept whole)."""
    for reader in (lambda t: _blocks(t, _TAGGED), lambda t: _blocks(t, _FENCED), _trailing):
        found = reader(text)
        if found is None:
            continue
        calls, rest = found
        tool_calls = [
            {
                "id": call_id or f"call_{index}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)},
            }
            for index, (name, arguments, call_id) in enumerate(calls)
        ]
        content = re.sub(r"\n{3,}", "\n\n", rest).strip()
        return ParsedReply(content or None, tool_calls)
    return ParsedReply(text, [])
