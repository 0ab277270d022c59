"""The recent labelled production records a drift check scores, as evaluation rows (docs/flywheel.md, Drift).

Records are parsed and anonymised as curation does (`steps.logic.curation`); a record's label is the first of
the policy's `labels` it has: `corrected` (the user's corrected answer), `reference` (a reference model's
answer), `rated-up` (the logged answer, which the user rated up). Unlabelled records are left out. Of the
labelled ones, those older than the window (records without a time are left out when there is a window) are
dropped, and the latest `max_records` are kept, in time order (records without a time count as older than
any dated one, in file order). Each becomes a testing row, the layout business-eval scores: the request, the
label as `reference` / `tool_calls`, `tools`, `id` and `intent`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from steps.logic.chat_records import ChatRecord, Message, evaluation_row, message_dicts
from steps.logic.curation.interaction import Interaction
from steps.logic.drift import LabelKind

_OLDEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class RecentRows:
    rows: list[dict[str, Any]]  # testing rows, oldest first
    labelled: int  # records with a label, before the window and the cap
    outside_window: int  # labelled records older than the window (or without a time, with a window)
    first: datetime | None  # time span of the rows kept
    last: datetime | None


def label_of(item: Interaction, labels: Sequence[LabelKind]) -> Message | None:
    """The record's label: the first kind of `labels` it has; None when it has none."""
    for kind in labels:
        if kind == "corrected" and item.correction is not None:
            return item.correction
        if kind == "reference" and item.reference is not None:
            return item.reference
        if kind == "rated-up" and item.rating == "up" and item.correction is None:
            return item.response
    return None


def testing_row(item: Interaction, label: Message) -> dict[str, Any]:
    """The record as a testing row whose expected answer is its label."""
    data: dict[str, Any] = {"messages": message_dicts([*item.messages, label]), "intent": item.intent}
    if item.tools:
        data["tools"] = item.tools
    if item.id:
        data["id"] = item.id
    return evaluation_row(ChatRecord.model_validate(data))


def recent_rows(
    items: Sequence[Interaction],
    labels: Sequence[LabelKind],
    max_records: int,
    now: datetime | None = None,
    window_seconds: float | None = None,
) -> RecentRows:
    """The latest labelled records (at most `max_records`, none older than `window_seconds` before `now`)."""
    labelled = [(item, label) for item in items if (label := label_of(item, labels)) is not None]
    kept = labelled
    if window_seconds is not None:
        if now is None:
            raise ValueError("a window needs the time of the check (now)")
        kept = [
            pair
            for pair in labelled
            if pair[0].timestamp is not None and (now - pair[0].timestamp).total_seconds() <= window_seconds
        ]
    ordered = sorted(kept, key=lambda pair: (pair[0].timestamp or _OLDEST, pair[0].line))
    latest = ordered[-max_records:]
    times = [item.timestamp for item, _ in latest if item.timestamp is not None]
    return RecentRows(
        rows=[testing_row(item, label) for item, label in latest],
        labelled=len(labelled),
        outside_window=len(labelled) - len(kept),
        first=min(times, default=None),
        last=max(times, default=None),
    )
