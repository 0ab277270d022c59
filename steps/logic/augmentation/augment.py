"""Which training rows are paraphrased, the prompts, and the labelled rows kept from the replies.

Only training rows are paraphrased (the step never passes validation or testing rows), and never a row that
is already synthetic. The paraphrase replaces the conversation's last user turn; the expected answer and the
rest of the conversation are the source row's. Rows are taken in the order of a hash of the seed and their
id (the same rows and seed give the same requests, in any input order); `max_rows` caps the requests, the
first paraphrase of every row before the second of any.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from steps.logic.augmentation.filters import DropReason, clean, drop_reason
from steps.logic.augmentation.report import AugmentationReport
from steps.logic.augmentation.section import PLACEHOLDER, AugmentationSection
from steps.logic.chat_records import ChatRecord, record_id
from steps.logic.curation.normalize import normal_text

ID_PREFIX = "aug-"


@dataclass(frozen=True)
class Request:
    """One paraphrase to ask: of `source`'s user turn at `turn`, the `index`-th for that row."""

    source: ChatRecord
    source_id: str
    turn: int
    index: int
    original: str
    messages: list[dict[str, Any]]


@dataclass(frozen=True)
class Plan:
    requests: list[Request]
    training_rows: int
    skipped_synthetic: int
    skipped_no_text: int
    capped: int


@dataclass(frozen=True)
class Augmented:
    rows: list[ChatRecord]  # labelled: synthetic, augmented_from, generator
    report: AugmentationReport


def _last_user_turn(record: ChatRecord) -> int | None:
    for turn in range(len(record.messages) - 2, -1, -1):
        if record.messages[turn].role == "user":
            return turn if (record.messages[turn].content or "").strip() else None
    return None


def plan(training: list[ChatRecord], section: AugmentationSection) -> Plan:
    """The paraphrases to ask for the training rows."""
    eligible: list[tuple[str, ChatRecord, int]] = []
    synthetic = no_text = 0
    for record in training:
        if record.extras().get("synthetic"):
            synthetic += 1
            continue
        turn = _last_user_turn(record)
        if turn is None:
            no_text += 1
            continue
        eligible.append((record_id(record), record, turn))
    eligible.sort(key=lambda item: hashlib.sha256(f"{section.seed}\0{item[0]}".encode()).hexdigest())
    requests = []
    for index in range(section.paraphrases):
        for source_id, record, turn in eligible:
            original = record.messages[turn].content or ""
            prompt = section.prompt.replace(PLACEHOLDER, original)
            requests.append(Request(record, source_id, turn, index, original, [{"role": "user", "content": prompt}]))
    kept = requests[: section.max_rows] if section.max_rows is not None else requests
    return Plan(kept, len(training), synthetic, no_text, len(requests) - len(kept))


def user_texts(records: list[ChatRecord]) -> set[str]:
    """The normalised text of every user turn of the records (what a paraphrase must not repeat)."""
    return {normal_text(m.content) for record in records for m in record.messages if m.role == "user" and m.content}


def _row(request: Request, text: str, generator: dict[str, str | float | int]) -> ChatRecord:
    messages = [m.model_copy() for m in request.source.messages]
    messages[request.turn] = messages[request.turn].model_copy(update={"content": text})
    digest = hashlib.sha256(f"{request.source_id}\0{request.index}\0{text}".encode()).hexdigest()[:12]
    extras = {k: v for k, v in request.source.extras().items() if k not in ("synthetic", "augmented_from")}
    return ChatRecord.model_validate(
        {
            **extras,
            "id": ID_PREFIX + digest,
            "messages": [m.model_dump(exclude_none=True) for m in messages],
            **({"tools": request.source.tools} if request.source.tools else {}),
            "synthetic": True,
            "augmented_from": request.source_id,
            "generator": generator,
        }
    )


def accept(
    the_plan: Plan,
    replies: list[str | None],
    others: list[ChatRecord],
    section: AugmentationSection,
    generator: dict[str, str | float | int],
) -> Augmented:
    """The paraphrases kept (labelled rows, in request order) and the report; `others` are every row of every
    split, which a paraphrase must not repeat."""
    if len(replies) != len(the_plan.requests):
        raise ValueError(f"{len(replies)} replies for {len(the_plan.requests)} requests")
    seen = user_texts(others)
    rows: list[ChatRecord] = []
    dropped: dict[DropReason, int] = {}
    for request, reply in zip(the_plan.requests, replies, strict=True):
        text = clean(reply)
        reason = drop_reason(request.original, text, seen, section.max_length_ratio)
        if reason is not None:
            dropped[reason] = dropped.get(reason, 0) + 1
            continue
        seen.add(normal_text(text))
        rows.append(_row(request, text, generator))
    report = AugmentationReport(
        generator=generator,
        training_rows=the_plan.training_rows,
        skipped_synthetic=the_plan.skipped_synthetic,
        skipped_no_text=the_plan.skipped_no_text,
        capped=the_plan.capped,
        asked=len(the_plan.requests),
        kept=len(rows),
        dropped=dropped,
    )
    return Augmented(rows, report)
