"""Chat format of the local base models: ChatML special tokens and chat template.

One place for what the tokenizer build (`steps.basemodel`) and the pre-training corpus share; the
committed tokenizer carries the same tokens and template to the serving side. The template knows only
roles and contents: `plain_messages` writes a request's tools and an assistant's tool calls into contents
(training and inference use it alike; `steps/logic/tool_call_parsing.py` reads the calls back).
"""

from __future__ import annotations

import json
from typing import Any

from steps.errors import InvalidInputError

ENDOFTEXT, IM_START, IM_END, PAD = "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|pad|>"
SPECIAL_TOKENS = [ENDOFTEXT, IM_START, IM_END, PAD]

# ChatML. Prefix-stable: rendering messages[:i] is a prefix of rendering messages[:i+1].
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


def chatml(turns: list[tuple[str, str]]) -> str:
    """(role, content) turns rendered as `CHAT_TEMPLATE` renders them (no generation prompt)."""
    return "".join(f"{IM_START}{role}\n{content}{IM_END}\n" for role, content in turns)


# Tools and tool calls, for the local models (whose template knows only role and content): the request's
# tools become lines of a system message, an assistant's tool calls a JSON list in its content. A
# conversation without tools and tool calls is passed through unchanged (the same prompt as before).
TOOLS_HEADER = "You can call these functions:"
TOOLS_FOOTER = 'Call them with a JSON list of {"name", "arguments"} objects, or reply in words.'
CALL_SEPARATORS = (",", ":")  # compact JSON: every punctuation mark is a token of the local tokenizer


def _schema_type(schema: Any) -> str:
    if not isinstance(schema, dict) or not schema:
        return "any"
    if isinstance(schema.get("enum"), list):
        return "|".join(json.dumps(value, ensure_ascii=False) for value in schema["enum"])
    if isinstance(schema.get("anyOf"), list):
        return "|".join(_schema_type(member) for member in schema["anyOf"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return "|".join(str(k) for k in kind)
    if kind == "array" and isinstance(schema.get("items"), dict) and schema["items"]:
        return f"{_schema_type(schema['items'])}[]"
    return str(kind) if kind else "any"


def tool_line(tool: dict[str, Any]) -> str:
    """One OpenAI tool as `name(arg: type, optional_arg?: type) - description` (argument descriptions left out)."""
    function = tool.get("function", tool) if isinstance(tool, dict) else {}
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidInputError(f"a tool needs a function name: {json.dumps(tool)[:200]}")
    parameters = function.get("parameters") or {}
    properties = parameters.get("properties") or {} if isinstance(parameters, dict) else {}
    required = set(parameters.get("required") or []) if isinstance(parameters, dict) else set()
    arguments = ", ".join(
        f"{argument}{'' if argument in required else '?'}: {_schema_type(schema)}"
        for argument, schema in properties.items()
    )
    description = " ".join(str(function.get("description") or "").split())
    return f"{name}({arguments})" + (f" - {description}" if description else "")


def tools_text(tools: list[dict[str, Any]]) -> str:
    """The system text that lists the tools for a local model."""
    return "\n".join([TOOLS_HEADER, *(tool_line(tool) for tool in tools), TOOLS_FOOTER])


def tool_calls_text(calls: list[dict[str, Any]]) -> str:
    """OpenAI tool calls as the local models write them: `[{"name":"f","arguments":{...}}]`."""
    written = []
    for call in calls:
        function = call.get("function") if isinstance(call, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        arguments = function.get("arguments", {}) if isinstance(function, dict) else None
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except json.JSONDecodeError:
                arguments = None
        if not isinstance(name, str) or not isinstance(arguments, dict):
            raise InvalidInputError(
                'a tool call needs {"function": {"name": ..., "arguments": <JSON object>}}, got '
                + json.dumps(call, ensure_ascii=False)[:200]
            )
        written.append({"name": name, "arguments": arguments})
    return json.dumps(written, ensure_ascii=False, separators=CALL_SEPARATORS)


def plain_messages(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """`messages` with the tools listed in the (first) system message and tool calls written as content.

    Returns `messages` itself when there are no tools and no tool calls.
    """
    if not tools and not any(isinstance(m, dict) and m.get("tool_calls") for m in messages):
        return messages
    plain = [
        {
            "role": m.get("role"),
            "content": "\n".join(filter(None, [m.get("content"), tool_calls_text(m["tool_calls"])])),
        }
        if isinstance(m, dict) and m.get("tool_calls")
        else m
        for m in messages
    ]
    if not tools:
        return plain
    listing = tools_text(tools)
    first = plain[0] if plain else None
    if isinstance(first, dict) and first.get("role") == "system" and isinstance(first.get("content"), str):
        return [{**first, "content": f"{first['content']}\n\n{listing}"}, *plain[1:]]
    return [{"role": "system", "content": listing}, *plain]
