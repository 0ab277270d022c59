"""The dataset format every run trains and evaluates on: OpenAI chat records (what NeMo Customizer trains on).

A record is `{"messages": [...], "tools": [...]?, "id": ...?, <any other field>}`. Its last message is the
expected answer: an assistant message with `content` and/or `tool_calls` (OpenAI tool-call format). At
least one user message comes before it. Other fields are kept for the evaluation's templates
(`{{item.<field>}}`); they never reach the training files.

Split files (written by prepare-data):
- training and validation rows: `{"messages": [...], "tools": [...]?}` (the whole conversation);
- testing rows: `{"id", "messages": <the prompt, without the expected answer>, "reference": <its content,
  "" when it only calls tools>, "tool_calls": [...]? , "tools": [...]?, <other fields>}`. `tool_calls` is
  there when the answer calls tools, and is `[]` when the record offers tools but the answer calls none
  (so a `tool-calling` metric scores "no call expected" on every row of a tool-calling dataset).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from steps.logic.json_text import SURROGATE_PROBLEM, lone_surrogate, parse_json

# Fields a testing row sets itself: a record's own field of that name would be overwritten.
RESERVED = ("reference", "tool_calls")
ID_PREFIX = "row-"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ToolFunction(_Strict):
    name: str = Field(min_length=1)
    arguments: str | dict[str, Any] = Field(default_factory=dict)

    @field_validator("arguments")
    @classmethod
    def _json_object(cls, arguments: str | dict[str, Any]) -> str | dict[str, Any]:
        if isinstance(arguments, str):
            try:
                parsed = parse_json(arguments)
            except ValueError as error:
                raise ValueError(f"arguments text is not JSON ({error}); write a JSON object") from None
            if not isinstance(parsed, dict):
                raise ValueError(f"arguments must be a JSON object, got {type(parsed).__name__}")
            if lone_surrogate(arguments, parsed) is not None:
                raise ValueError(f"arguments text: {SURROGATE_PROBLEM}")
        return arguments


class ToolCall(_Strict):
    id: str | None = None
    type: Literal["function"] = "function"
    function: ToolFunction


class Message(_Strict):
    role: Literal["system", "user", "assistant", "tool"]
    content: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _has_something(self) -> Message:
        if self.tool_calls is not None and self.role != "assistant":
            raise ValueError("only assistant messages make tool calls")
        if self.content is None and not self.tool_calls:
            raise ValueError("a message needs content (or, from the assistant, tool_calls)")
        return self


class ChatRecord(BaseModel):
    """One conversation; extra fields are allowed and kept."""

    model_config = ConfigDict(extra="allow")

    id: str | None = Field(default=None, min_length=1)
    messages: list[Message] = Field(min_length=2)
    tools: list[dict[str, Any]] | None = None

    @field_validator("messages")
    @classmethod
    def _shape(cls, messages: list[Message]) -> list[Message]:
        if messages[-1].role != "assistant":
            raise ValueError("the last message must be the assistant's expected answer")
        if not any(message.role == "user" for message in messages[:-1]):
            raise ValueError("at least one user message must come before the expected answer")
        return messages

    @model_validator(mode="after")
    def _reserved(self) -> ChatRecord:
        clash = sorted(set(self.extras()) & set(RESERVED))
        if clash:
            raise ValueError(f"field(s) {clash} are reserved for the expected answer in testing rows; rename them")
        return self

    def extras(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


def message_dicts(messages: list[Message]) -> list[dict[str, Any]]:
    """Messages as JSON objects, without the keys a message leaves unset."""
    return [message.model_dump(exclude_none=True) for message in messages]


def record_id(record: ChatRecord) -> str:
    """The record's `id`, or `row-` + 12 hex of its content hash."""
    if record.id:
        return record.id
    canonical = json.dumps(record.model_dump(exclude_none=True), sort_keys=True, ensure_ascii=False)
    return ID_PREFIX + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def _tools(record: ChatRecord) -> dict[str, Any]:
    return {"tools": record.tools} if record.tools else {}


def training_row(record: ChatRecord) -> dict[str, Any]:
    """The whole conversation (and its tools): a training or validation row."""
    return {"messages": message_dicts(record.messages), **_tools(record)}


def evaluation_row(record: ChatRecord) -> dict[str, Any]:
    """The prompt, the expected answer split into `reference` / `tool_calls`, the id and the other fields."""
    expected = record.messages[-1]
    calls = (
        {"tool_calls": [call.model_dump(exclude_none=True) for call in expected.tool_calls]}
        if expected.tool_calls
        else {"tool_calls": []}
        if record.tools
        else {}
    )
    return {
        **record.extras(),
        "id": record_id(record),
        "messages": message_dicts(record.messages[:-1]),
        "reference": expected.content or "",
        **calls,
        **_tools(record),
    }
