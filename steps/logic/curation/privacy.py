"""PII in interactions, replaced with the project's anonymiser (`steps/logic/anonymize.py`).

Every request message, the response, the correction and the reference of one interaction are anonymised
together, so the same e-mail, phone number, card number or listed name (`pii_names`) becomes the same
placeholder wherever it appears in that interaction.
"""

from __future__ import annotations

import dataclasses

from steps.logic.anonymize import KINDS, anonymize_record
from steps.logic.chat_records import ChatRecord, Message, message_dicts
from steps.logic.curation.interaction import Interaction


def anonymize_interaction(item: Interaction) -> tuple[Interaction, dict[str, int]]:
    """The interaction with its PII replaced, and the occurrences replaced per kind."""
    answers = [item.response, *(message for message in (item.correction, item.reference) if message is not None)]
    # The request followed by every answer is a valid chat record (a user message, then assistant messages).
    record = ChatRecord.model_validate({"messages": message_dicts([*item.messages, *answers])})
    clean, counts = anonymize_record(record, item.names)
    messages: list[Message] = list(clean.messages)
    request, rest = messages[: len(item.messages)], iter(messages[len(item.messages) :])
    response = next(rest)
    correction = next(rest) if item.correction is not None else None
    reference = next(rest) if item.reference is not None else None
    replaced = dataclasses.replace(
        item, messages=request, response=response, correction=correction, reference=reference
    )
    return replaced, counts


def anonymize_all(items: list[Interaction]) -> tuple[list[Interaction], dict[str, int], int]:
    """Every interaction anonymised, the replacements per kind, and how many interactions held PII."""
    totals = dict.fromkeys(KINDS, 0)
    touched = 0
    clean: list[Interaction] = []
    for item in items:
        replaced, counts = anonymize_interaction(item)
        clean.append(replaced)
        touched += any(counts.values())
        for kind, count in counts.items():
            totals[kind] += count
    return clean, totals, touched
