"""Deterministic PII anonymisation: e-mails, phone numbers, payment cards and known customer names.

Each distinct value becomes a stable placeholder (`<EMAIL_1>`, `<PHONE_1>`, `<CARD_1>`, `<NAME_1>`),
numbered per record in order of appearance, so the same person keeps the same placeholder across a
record's texts. Bill ids (`B-12345`), ISO dates and amounts are never matched: the patterns refuse
digits glued to letters or hyphens, and card numbers must pass the Luhn check. Applying it twice
changes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from steps.logic.chat_records import ChatRecord, Message

KINDS = ("email", "card", "phone", "name")

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
# 13-19 digits, contiguous or as 4-4-4-(1..7) / 4-6-5 groups with one consistent separator.
_CARD = re.compile(r"(?<![\w-])(?:\d{4}([ -]?)\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -]?)\d{6}\2\d{5})(?![\w-])")
_PHONE = re.compile(
    r"""(?<![\w+-])
    (?: \+\d{1,3}[ .-]?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,4}   # international: +44 20 7946 0958
      | (?:\(\d{3}\)\ ?|\d{3}[ .-]?)\d{3}[ .-]?\d{4}         # North American: (212) 555-0142
    )(?![\w-])""",
    re.VERBOSE,
)
_PLACEHOLDER = re.compile(r"^<(EMAIL|CARD|PHONE|NAME)_\d+>$")


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit() or not 13 <= len(digits) <= 19:
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


class Placeholders:
    """Stable placeholders for one record; `counts` says how many occurrences were replaced per kind."""

    def __init__(self) -> None:
        self._seen: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
        self.counts: dict[str, int] = dict.fromkeys(KINDS, 0)

    def get(self, kind: str, key: str) -> str:
        table = self._seen[kind]
        if key not in table:
            table[key] = f"<{kind.upper()}_{len(table) + 1}>"
        return table[key]

    def replace(self, kind: str, key: str) -> str:
        self.counts[kind] += 1
        return self.get(kind, key)


def _name_patterns(names: Iterable[str]) -> list[tuple[re.Pattern[str], str]]:
    """(pattern, key) pairs: each full name (case-insensitive), then its parts (case-sensitive words)."""
    full: list[tuple[re.Pattern[str], str]] = []
    parts: list[tuple[re.Pattern[str], str]] = []
    for name in names:
        words = name.split()
        if not words or _PLACEHOLDER.match(name.strip()):
            continue
        key = " ".join(words).casefold()
        joined = r"\s+".join(re.escape(word) for word in words)
        full.append((re.compile(rf"(?<!\w){joined}(?!\w)", re.IGNORECASE), key))
        if len(words) > 1:
            for word in words:
                if len(word) >= 2 and word[0].isalpha():
                    parts.append((re.compile(rf"(?<!\w){re.escape(word)}(?!\w)"), key))
    return full + parts


def anonymize_text(
    text: str, names: Iterable[str] = (), placeholders: Placeholders | None = None
) -> tuple[str, dict[str, int]]:
    """Replace PII in `text`; returns (new text, occurrences replaced per kind in this text)."""
    state = placeholders if placeholders is not None else Placeholders()
    before = dict(state.counts)
    text = _EMAIL.sub(lambda m: state.replace("email", m.group(0).lower()), text)

    def card(match: re.Match[str]) -> str:
        digits = _digits(match.group(0))
        return state.replace("card", digits) if luhn_valid(digits) else match.group(0)

    text = _CARD.sub(card, text)
    text = _PHONE.sub(lambda m: state.replace("phone", _digits(m.group(0))[-10:]), text)

    def name(key: str) -> Callable[[re.Match[str]], str]:
        return lambda _match: state.replace("name", key)

    for pattern, key in _name_patterns(names):
        text = pattern.sub(name(key), text)
    return text, {kind: state.counts[kind] - before[kind] for kind in KINDS}


def _strings(value: Any, names: list[str], state: Placeholders) -> Any:
    """`value` with PII replaced in every string it holds (dict values and list items, recursively)."""
    if isinstance(value, str):
        return anonymize_text(value, names, state)[0]
    if isinstance(value, dict):
        return {key: _strings(item, names, state) for key, item in value.items()}
    if isinstance(value, list):
        return [_strings(item, names, state) for item in value]
    return value


def _arguments(arguments: str | dict[str, Any], names: list[str], state: Placeholders) -> str | dict[str, Any]:
    if isinstance(arguments, dict):
        return _strings(arguments, names, state)
    parsed = json.loads(arguments)  # a ChatRecord's arguments text is a JSON object
    clean = _strings(parsed, names, state)
    return arguments if clean == parsed else json.dumps(clean, ensure_ascii=False)


def _message(message: Message, names: list[str], state: Placeholders) -> Message:
    update: dict[str, Any] = {}
    if message.content:
        update["content"] = anonymize_text(message.content, names, state)[0]
    if message.tool_calls:
        update["tool_calls"] = [
            call.model_copy(
                update={
                    "function": call.function.model_copy(
                        update={"arguments": _arguments(call.function.arguments, names, state)}
                    )
                }
            )
            for call in message.tool_calls
        ]
    return message.model_copy(update=update) if update else message


def anonymize_record(record: ChatRecord, names: Iterable[str] = ()) -> tuple[ChatRecord, dict[str, int]]:
    """Anonymised copy of a chat record and the PII occurrences replaced, per kind.

    Message contents, the string values of tool-call arguments and the strings of the record's other
    fields are anonymised, with one set of placeholders per record (an e-mail in the question and in the
    expected call's arguments becomes the same placeholder); `names` are the personal names to look for
    (e.g. the customer's).
    """
    state = Placeholders()
    known = list(names)
    messages = [_message(message, known, state) for message in record.messages]
    extras = {key: _strings(value, known, state) for key, value in record.extras().items()}
    data = record.model_dump(exclude_none=True) | extras
    data["messages"] = [message.model_dump(exclude_none=True) for message in messages]
    return ChatRecord.model_validate(data), dict(state.counts)
