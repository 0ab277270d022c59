"""Deduplication: one interaction per normalized conversation.

Interactions with the same conversation (`normalize.conversation_key`) are one prompt. Among them the
preferred one is kept: a corrected answer first, then one rated up, then an unrated one, then one rated
down; among equals, a production one before a synthetic one, then the latest (by timestamp; one without a
timestamp counts as the earliest; then the later line). Each one dropped is counted as an exact duplicate
when its expected answer (the correction when there is one, else the response) is the kept one's, else as
a conflicting answer. Kept interactions stay in input order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from steps.logic.curation.interaction import Interaction
from steps.logic.curation.normalize import answer_key, conversation_key

_EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Deduplicated:
    kept: list[Interaction]
    exact_duplicates: int  # dropped: the same conversation and expected answer as the kept interaction
    conflicting_answers: int  # dropped: the same conversation, another expected answer was preferred
    prompts_with_conflicts: int  # conversations with more than one distinct expected answer


_PREFERENCE = {"corrected": 3, "up": 2, "unrated": 1, "down": 0}


def _preference(item: Interaction) -> tuple[int, bool, datetime, int]:
    return _PREFERENCE[item.feedback], not item.synthetic, item.timestamp or _EARLIEST, item.line


def deduplicate(items: list[Interaction]) -> Deduplicated:
    groups: dict[str, list[Interaction]] = {}
    for item in items:
        groups.setdefault(conversation_key(item.messages, item.tools), []).append(item)
    kept: list[Interaction] = []
    exact = conflicting = conflicted_prompts = 0
    for group in groups.values():
        best = max(group, key=_preference)
        kept.append(best)
        best_answer = answer_key(best.answer)
        others = [answer_key(item.answer) for item in group if item is not best]
        exact += sum(key == best_answer for key in others)
        conflicting += sum(key != best_answer for key in others)
        conflicted_prompts += any(key != best_answer for key in others)
    kept.sort(key=lambda item: item.line)
    return Deduplicated(kept, exact, conflicting, conflicted_prompts)
