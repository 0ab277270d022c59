"""Production records -> training, validation and testing rows, and the report of how (docs/curation.md).

Stages, in order: validate every line (`parse`), anonymise PII (`privacy`, before anything else reads the
texts, so records that differ only in PII count as duplicates), deduplicate (`dedup`), apply the rules
(`selection`), split by intent (`stratify`). Each row is an OpenAI chat record, the layout prepare-data
reads as format `openai-chat`: `{"id", "messages": [<request>..., <expected answer>], "tools"?, "intent",
"synthetic"?}`. The expected answer is the user's correction when there is one, else the model's response.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from steps.logic.chat_records import ChatRecord, message_dicts, record_id
from steps.logic.curation.dedup import deduplicate
from steps.logic.curation.interaction import Interaction
from steps.logic.curation.parse import OnInvalid, RejectedLine, parse_lines
from steps.logic.curation.privacy import anonymize_all
from steps.logic.curation.report import CurationReport, RejectedRecord
from steps.logic.curation.rules import CurationRules
from steps.logic.curation.selection import select
from steps.logic.curation.stratify import split_by_intent
from steps.logic.splits import SPLITS


@dataclass(frozen=True)
class Curated:
    splits: dict[str, list[dict[str, Any]]]  # "training" / "validation" / "testing" -> chat records
    rejected: list[RejectedLine]  # with on_invalid "skip": the lines left out (line, reason)
    report: CurationReport


def chat_row(item: Interaction) -> dict[str, Any]:
    """The interaction as an OpenAI chat record: the request, then the expected answer."""
    data: dict[str, Any] = {"messages": message_dicts([*item.messages, item.answer])}
    if item.tools:
        data["tools"] = item.tools
    record = ChatRecord.model_validate({**data, "id": item.id} if item.id else data)
    row = {"id": record_id(record), **data, "intent": item.intent}
    if item.synthetic:
        row["synthetic"] = True
    return row


def curate(lines: Iterable[str], rules: CurationRules, *, source: str, on_invalid: OnInvalid = "fail") -> Curated:
    """Curate JSONL lines of production records; raises InvalidInputError (nothing returned) on a bad
    line with `fail`, or when too few rows are left to split."""
    parsed = parse_lines(lines, source, on_invalid)
    valid = parsed.interactions
    clean, pii, with_pii = anonymize_all(valid)
    unique = deduplicate(clean)
    selected = select(unique.kept, rules)
    stratified = split_by_intent(selected.kept, rules)
    splits = {name: [chat_row(item) for item in items] for name, items in stratified.splits.items()}
    times = [item.timestamp for item in valid if item.timestamp is not None]
    intents: dict[str, dict[str, int]] = {}
    for name, items in stratified.splits.items():
        for item in items:
            intents.setdefault(item.intent, dict.fromkeys(SPLITS, 0))[name] += 1
    report = CurationReport(
        source=source,
        rules=rules,
        on_invalid=on_invalid,
        read=parsed.read,
        invalid=len({item.line for item in parsed.rejected}),
        invalid_lines=[RejectedRecord(line=item.line, reason=item.reason) for item in parsed.rejected],
        valid=len(valid),
        first_timestamp=min(times, default=None),
        last_timestamp=max(times, default=None),
        models=dict(sorted(Counter(item.model or "unknown" for item in valid).items())),
        pii_replacements=pii,
        records_with_pii=with_pii,
        exact_duplicates=unique.exact_duplicates,
        conflicting_answers=unique.conflicting_answers,
        prompts_with_conflicts=unique.prompts_with_conflicts,
        dropped_by_rule=dict(sorted(selected.dropped.items())),
        corrections_used=sum(item.correction is not None for item in selected.kept),
        kept=len(selected.kept),
        synthetic=sum(item.synthetic for item in selected.kept),
        splits={name: len(rows) for name, rows in splits.items()},
        intents=dict(sorted(intents.items())),
        pooled_intents=stratified.pooled_intents,
        training_only_intents=stratified.training_only_intents,
    )
    return Curated(splits, parsed.rejected, report)
