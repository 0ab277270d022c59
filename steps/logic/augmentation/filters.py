"""What a paraphrase must keep and when it is dropped.

A paraphrase is dropped when it is empty, the same as its original or as another row (case and white space
ignored), too long, or when it leaves out a value of the original: the expected answer was written for those
values, so a paraphrase without one would teach a wrong answer. A value is a token holding a digit (amounts,
dates, account and invoice numbers, the anonymiser's `<EMAIL_1>` placeholders), an underscore (snake_case
identifiers) or only capitals (codes such as USD); it must appear in the paraphrase exactly as written.
"""

from __future__ import annotations

import re
from typing import Literal

from steps.logic.curation.normalize import normal_text

DropReason = Literal["empty", "same_as_original", "too_long", "lost_value", "duplicate"]
DROP_REASONS: tuple[DropReason, ...] = ("empty", "same_as_original", "too_long", "lost_value", "duplicate")
MIN_LENGTH_BASE = 20  # the too-long limit of a very short request is ratio x 20 characters
_EDGES = "\"'`.,;:!?()[]{}«»“”‘’"
_QUOTES = "\"'`«»“”‘’"
_CAPITALS = re.compile(r"^[A-Z]{2,}$")


def values(text: str) -> list[str]:
    """The tokens of `text` a paraphrase must keep, in order, each once."""
    found: list[str] = []
    for raw in text.split():
        token = raw.strip(_EDGES)  # "<EMAIL_1>," keeps its brackets
        is_value = any(c.isdigit() for c in token) or "_" in token or _CAPITALS.match(token)
        if is_value and token not in found:
            found.append(token)
    return found


def clean(reply: str | None) -> str:
    """The reply's text without surrounding white space and quotes."""
    text = (reply or "").strip()
    while len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
        text = text[1:-1].strip()
    return text


def drop_reason(original: str, paraphrase: str, seen: set[str], max_length_ratio: float) -> DropReason | None:
    """Why `paraphrase` (cleaned) is dropped, None when it is kept; `seen` holds the normalised texts of every
    other row (all splits) and of the paraphrases kept so far."""
    if not paraphrase:
        return "empty"
    normal = normal_text(paraphrase)
    if normal == normal_text(original):
        return "same_as_original"
    if len(paraphrase) > max_length_ratio * max(len(original), MIN_LENGTH_BASE):
        return "too_long"
    if any(value not in paraphrase for value in values(original)):
        return "lost_value"
    if normal in seen:
        return "duplicate"
    return None
