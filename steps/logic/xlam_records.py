"""The xLAM function-calling layout (Salesforce/xlam-function-calling-60k) and its conversion to a chat record.

A row: `{"id"?, "query", "tools", "answers", "answer_text"?, <other fields>}`, where `tools` is a JSON string
(a list of `{"name", "description", "parameters": {<argument>: {"type", "description", "default"?}}}`) and
`answers` a JSON string (a list of `{"name", "arguments"}`); an already parsed list is read the same way.
The chat record: the query as the user message, the tools as OpenAI tools (`{"type": "function", "function":
{"name", "description", "parameters": <JSON Schema object with properties and required>}}`, types mapped by
`steps/logic/xlam_types.py`) and the expected assistant message: its `tool_calls` (`{"id": "call_<i>", "type":
"function", "function": {"name", "arguments": <JSON text>}}`), or, when `answers` is `[]`, the text
`answer_text` (default NO_CALL_TEXT). A parameter is required unless it has a default or its type is optional.
A default of "" or null (how xLAM writes "no default") is not written into the schema.

`tutorial_choice` is the selection of NVIDIA's tool-calling tutorial (format `xlam-tutorial`); see
docs/tool-calling.md for what it keeps and why.
"""

from __future__ import annotations

import json
from typing import Any

from steps.logic.field_paths import dotted
from steps.logic.json_text import SURROGATE_PROBLEM, lone_surrogate, parse_json
from steps.logic.xlam_types import UnknownType, parameter_type

NO_CALL_TEXT = "None of the available tools fits this request."
TUTORIAL_MAX_PARAMETERS = 8  # NIM froze on tools with more properties (the tutorial's LIMIT_TOOL_PROPERTIES)
_OWN_FIELDS = ("id", "query", "tools", "answers", "answer_text")

Problems = list[tuple[str, str]]


def _json_list(row: dict[str, Any], field: str, problems: Problems) -> list[Any] | None:
    value = row.get(field)
    if value is None:
        problems.append((field, "Field required (a JSON string holding a list)"))
        return None
    if isinstance(value, str):
        try:
            value, text = parse_json(value), value
        except ValueError as error:
            problems.append((field, f"not valid JSON: {error}; fix the string"))
            return None
        surrogate = lone_surrogate(text, value)
        if surrogate is not None:
            problems.append((dotted((field, *surrogate)), f"{SURROGATE_PROBLEM}; fix the string"))
            return None
    if not isinstance(value, list):
        problems.append((field, f"expected a JSON list, got {type(value).__name__}"))
        return None
    return value


def _property(path: str, spec: Any, problems: Problems) -> tuple[dict[str, Any], bool] | None:
    """(JSON Schema property, required) of one xLAM parameter, or None after recording its problems."""
    if not isinstance(spec, dict):
        problems.append((path, f"expected an object with type and description, got {type(spec).__name__}"))
        return None
    try:
        kind = parameter_type(spec.get("type"))
    except UnknownType as error:
        problems.append((f"{path}.type", f"{error}; fix the type or leave the row out"))
        return None
    description = spec.get("description")
    if description is not None and not isinstance(description, str):
        problems.append((f"{path}.description", "must be a string"))
        return None
    prop = dict(kind.schema)
    if description:
        prop["description"] = description
    has_default = "default" in spec or kind.has_default
    default = spec.get("default", kind.default)
    if default is not None and default != "":
        prop["default"] = default
    return prop, not (kind.optional or has_default)


def _tool(index: int, tool: Any, problems: Problems) -> dict[str, Any] | None:
    path = f"tools.{index}"
    if not isinstance(tool, dict):
        problems.append((path, f"expected an object with name, description and parameters, got {type(tool).__name__}"))
        return None
    name, description, parameters = tool.get("name"), tool.get("description", ""), tool.get("parameters", {})
    before = len(problems)
    if not isinstance(name, str) or not name:
        problems.append((f"{path}.name", "a non-empty string is required"))
    if not isinstance(description, str):
        problems.append((f"{path}.description", "must be a string"))
    if not isinstance(parameters, dict):
        problems.append((f"{path}.parameters", "expected an object mapping each argument to {type, description}"))
        return None
    properties: dict[str, Any] = {}
    required: list[str] = []
    for argument, spec in parameters.items():
        converted = _property(dotted(("tools", index, "parameters", argument)), spec, problems)
        if converted is not None:
            properties[argument] = converted[0]
            if converted[1]:
                required.append(argument)
    if len(problems) > before:
        return None
    schema = {"type": "object", "properties": properties, "required": required}
    return {"type": "function", "function": {"name": name, "description": description, "parameters": schema}}


def _call(index: int, answer: Any, offered: set[str] | None, problems: Problems) -> dict[str, Any] | None:
    path = f"answers.{index}"
    if not isinstance(answer, dict):
        problems.append((path, f"expected an object with name and arguments, got {type(answer).__name__}"))
        return None
    name, arguments = answer.get("name"), answer.get("arguments", {})
    if not isinstance(name, str) or not name:
        problems.append((f"{path}.name", "a non-empty string is required"))
        return None
    if offered is not None and name not in offered:
        problems.append((f"{path}.name", f"{name!r} is not one of the row's tools ({', '.join(sorted(offered))})"))
        return None
    if isinstance(arguments, str):
        try:
            arguments, text = parse_json(arguments), arguments
        except ValueError as error:
            problems.append((f"{path}.arguments", f"not valid JSON: {error}"))
            return None
        if lone_surrogate(text, arguments) is not None:
            problems.append((f"{path}.arguments", SURROGATE_PROBLEM))
            return None
    if not isinstance(arguments, dict):
        problems.append((f"{path}.arguments", f"expected an object, got {type(arguments).__name__}"))
        return None
    text = json.dumps(arguments, ensure_ascii=False)
    return {"id": f"call_{index}", "type": "function", "function": {"name": name, "arguments": text}}


def to_chat(row: dict[str, Any]) -> tuple[dict[str, Any], Problems]:
    """The chat record of one xLAM row (as a dict for ChatRecord) and the row's problems (field, message)."""
    problems: Problems = []
    query = row.get("query")
    if not isinstance(query, str) or not query.strip():
        problems.append(("query", "a non-empty string is required"))
    row_id = row.get("id")
    if row_id is not None and (isinstance(row_id, bool) or not isinstance(row_id, (str, int)) or row_id == ""):
        problems.append(("id", "must be a non-empty string or an integer"))
    raw_tools = _json_list(row, "tools", problems)
    raw_answers = _json_list(row, "answers", problems) or []
    tools = [_tool(i, tool, problems) for i, tool in enumerate(raw_tools or [])]
    offered = (
        None  # unreadable tools: no call can be checked against them
        if raw_tools is None
        else {tool["name"] for tool in raw_tools if isinstance(tool, dict) and isinstance(tool.get("name"), str)}
    )
    calls = [_call(i, answer, offered, problems) for i, answer in enumerate(raw_answers)]
    text = row.get("answer_text")
    if text is not None and (not isinstance(text, str) or not text.strip()):
        problems.append(("answer_text", "must be a non-empty string"))
    elif text is not None and raw_answers:
        problems.append(
            ("answer_text", "only for rows whose answers are [] (the expected reply when no tool is called)")
        )
    if problems:
        return {}, problems
    expected: dict[str, Any] = {"role": "assistant"}
    if calls:
        expected["tool_calls"] = calls
    else:
        expected["content"] = text if text is not None else NO_CALL_TEXT
    extras = {key: value for key, value in row.items() if key not in _OWN_FIELDS}
    record = {
        **extras,
        **({"id": str(row_id)} if row_id is not None else {}),
        "messages": [{"role": "user", "content": query}, expected],
        **({"tools": tools} if tools else {}),
    }
    return record, []


def _readable(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return parse_json(value)
        except ValueError:
            return None
    return value


def tutorial_choice(row: dict[str, Any]) -> str | None:
    """Why NVIDIA's tool-calling tutorial leaves this row out (None: it keeps it).

    Rows whose `tools`/`answers` cannot be read are kept, so that the converter reports them as errors.
    """
    answers, tools = _readable(row.get("answers")), _readable(row.get("tools"))
    if isinstance(answers, list) and len(answers) != 1:
        return "no tool call" if not answers else "more than one tool call"
    if isinstance(tools, list):
        for tool in tools:
            parameters = tool.get("parameters") if isinstance(tool, dict) else None
            if not isinstance(parameters, dict):
                continue
            if len(parameters) > TUTORIAL_MAX_PARAMETERS:
                return f"a tool with more than {TUTORIAL_MAX_PARAMETERS} parameters"
            for spec in parameters.values():
                try:
                    parameter_type(spec.get("type") if isinstance(spec, dict) else None)
                except UnknownType:
                    return "a parameter type this converter does not map"
    return None
