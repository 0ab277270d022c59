"""Training rows of the local LoRA trainer: tools and tool calls written into contents, then checked.

A row is `{"messages": [...], "tools": [...]?}` (prepare-data's training and validation files). Rows without
tools and tool calls are passed through unchanged.
"""

from __future__ import annotations

from steps.errors import InvalidInputError
from steps.local.chat_format import plain_messages


def _plain(rows: list[dict], what: str) -> list[dict]:
    """Rows whose tools and tool calls are written into message contents (rows without them unchanged)."""
    plain = []
    for n, row in enumerate(rows, start=1):
        if isinstance(row, dict) and isinstance(row.get("messages"), list):
            try:
                row = {**row, "messages": plain_messages(row["messages"], row.get("tools"))}
            except InvalidInputError as error:
                raise InvalidInputError(f"{what} row {n}: {error}") from None
        plain.append(row)
    return plain


def _validate(rows: list[dict], what: str) -> None:
    for n, row in enumerate(rows, start=1):
        messages = row.get("messages") if isinstance(row, dict) else None
        if not isinstance(messages, list) or not messages:
            raise InvalidInputError(f"{what} row {n}: expected {{'messages': [...]}} with at least one message")
        for m in messages:
            if (
                not isinstance(m, dict)
                or m.get("role") not in ("system", "user", "assistant", "tool")
                or not isinstance(m.get("content"), str)
            ):
                raise InvalidInputError(
                    f"{what} row {n}: each message needs role system|user|assistant|tool and a string content "
                    "(or, from the assistant, tool_calls)"
                )
        if not any(m["role"] == "assistant" for m in messages):
            raise InvalidInputError(f"{what} row {n}: no assistant message to learn from")


def training_rows(rows: list[dict], what: str) -> list[dict]:
    """`rows` with plain messages (`chat_format.plain_messages`); raises naming the first bad row of `what`."""
    plain = _plain(rows, what)
    _validate(plain, what)
    return plain
