"""An interaction: one valid production record as curation works on it (`log_records.LogRecord.interaction`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from steps.logic.chat_records import Message

Rating = Literal["up", "down"]
FeedbackKind = Literal["corrected", "up", "down", "unrated"]


@dataclass(frozen=True)
class Interaction:
    """A valid record as curation works on it: the request, the answers and what selection looks at."""

    line: int
    id: str | None
    messages: list[Message]  # the request, without the answer
    tools: list[dict[str, Any]] | None
    response: Message
    correction: Message | None
    reference: Message | None
    rating: Rating | None
    intent: str
    timestamp: datetime | None
    synthetic: bool
    names: list[str]
    model: str | None

    @property
    def answer(self) -> Message:
        """The expected answer: the user's correction when there is one, else the model's response."""
        return self.correction if self.correction is not None else self.response

    @property
    def feedback(self) -> FeedbackKind:
        """`corrected` (whatever the rating), else the rating, else `unrated`."""
        if self.correction is not None:
            return "corrected"
        return self.rating or "unrated"
