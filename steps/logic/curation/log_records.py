"""The accepted shape of one production record (one JSONL line).

A record is an OpenAI chat-completion log: the `request` (messages, tools, model), the `response` (a chat
completion; its first choice's message is the model's answer), optional user `feedback` (a rating and/or a
corrected answer), an optional `reference` answer from another model, and `id`, `timestamp`, `intent`,
`metadata`, `synthetic`, `pii_names`. docs/curation.md shows an example.

Messages use the project's chat-record types (`steps/logic/chat_records.py`); keys OpenAI adds that the
chat records do not carry (`refusal`, `annotations`, `audio`, `logprobs`, `usage`, sampling settings) are
ignored. Text content given as a list of parts is joined; parts other than text (images, audio) are refused.
A `developer` message is read as a `system` message.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from steps.logic.chat_records import Message
from steps.logic.curation.interaction import Interaction, Rating

DEFAULT_INTENT = "unspecified"


class LogMessage(Message):
    """A chat message as OpenAI logs it (other OpenAI keys are ignored)."""

    model_config = ConfigDict(extra="ignore")

    @field_validator("role", mode="before")
    @classmethod
    def _developer(cls, role: Any) -> Any:
        return "system" if role == "developer" else role

    @field_validator("content", mode="before")
    @classmethod
    def _text_parts(cls, content: Any) -> Any:
        if not isinstance(content, list):
            return content
        texts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text" or not isinstance(part.get("text"), str):
                kind = part.get("type") if isinstance(part, dict) else type(part).__name__
                raise ValueError(f"only text parts are read, got a {kind!r} part; log text content or leave it out")
            texts.append(part["text"])
        return "".join(texts)

    def to_message(self) -> Message:
        return Message.model_validate(self.model_dump(exclude_none=True))


class AnswerMessage(LogMessage):
    """An assistant answer: the response's message, a correction or a reference (a string means its content)."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"role": "assistant", "content": value}
        if isinstance(value, dict) and "role" not in value:
            return {**value, "role": "assistant"}
        return value

    @model_validator(mode="after")
    def _an_answer(self) -> AnswerMessage:
        if self.role != "assistant":
            raise ValueError(f"an answer is an assistant message, got role {self.role!r}")
        if not (self.content or "").strip() and not self.tool_calls:
            raise ValueError("the answer is empty; it needs content or tool_calls")
        return self


class Request(BaseModel):
    model_config = ConfigDict(extra="ignore")

    messages: list[LogMessage] = Field(min_length=1)
    tools: list[dict[str, Any]] | None = None
    model: str | None = None

    @field_validator("messages")
    @classmethod
    def _has_user(cls, messages: list[LogMessage]) -> list[LogMessage]:
        if not any(message.role == "user" for message in messages):
            raise ValueError("no user message; the request must hold the user's message")
        return messages


class Choice(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message: AnswerMessage


class Completion(BaseModel):
    """An OpenAI chat completion; its first choice is the answer."""

    model_config = ConfigDict(extra="ignore")

    choices: list[Choice] = Field(min_length=1)
    model: str | None = None
    created: int | None = None


class Feedback(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: Rating | None = None
    corrected: AnswerMessage | None = None
    comment: str | None = None

    @field_validator("rating", mode="before")
    @classmethod
    def _rating(cls, rating: Any) -> Any:
        if isinstance(rating, bool):
            raise ValueError('a rating is "up", "down", 1 or -1, not a boolean')
        if isinstance(rating, int | float) and rating in (1, -1):
            return "up" if rating == 1 else "down"
        return rating.strip().lower() if isinstance(rating, str) else rating

    @model_validator(mode="after")
    def _something(self) -> Feedback:
        if self.rating is None and self.corrected is None:
            raise ValueError("feedback needs a rating or a corrected answer; leave feedback out when there is none")
        return self


class LogRecord(BaseModel):
    """One production record, as read from one JSONL line."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, min_length=1)
    timestamp: datetime | None = None
    intent: str | None = Field(default=None, min_length=1)
    metadata: dict[str, Any] = Field(default_factory=dict)
    request: Request
    response: Completion
    feedback: Feedback | None = None
    reference: AnswerMessage | None = None
    synthetic: bool = False
    pii_names: list[str] = Field(default_factory=list)

    @field_validator("timestamp")
    @classmethod
    def _utc(cls, timestamp: datetime | None) -> datetime | None:
        if timestamp is not None and timestamp.tzinfo is None:
            return timestamp.replace(tzinfo=UTC)
        return timestamp

    def when(self) -> datetime | None:
        """`timestamp`, else the completion's `created` time."""
        if self.timestamp is not None:
            return self.timestamp
        return datetime.fromtimestamp(self.response.created, UTC) if self.response.created is not None else None

    def interaction(self, line: int) -> Interaction:
        intent = self.intent or self.metadata.get("intent")
        feedback = self.feedback
        return Interaction(
            line=line,
            id=self.id,
            messages=[message.to_message() for message in self.request.messages],
            tools=self.request.tools or None,
            response=self.response.choices[0].message.to_message(),
            correction=feedback.corrected.to_message() if feedback and feedback.corrected else None,
            reference=self.reference.to_message() if self.reference else None,
            rating=feedback.rating if feedback else None,
            intent=intent if isinstance(intent, str) and intent.strip() else DEFAULT_INTENT,
            timestamp=self.when(),
            synthetic=self.synthetic,
            names=list(self.pii_names),
            model=self.response.model or self.request.model,
        )
