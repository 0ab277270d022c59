"""Selection: the curation rules applied to deduplicated, anonymised interactions.

In order: feedback (an interaction rated down without a correction is dropped, and so is any kind the
rules do not keep), disagreement (when required: a reference answer that differs from the response), then
at most `max_per_intent` per intent: those whose conversation has the smallest hash with the seed, so the
sample depends on the seed and the data, never on row order. Each drop is counted
by reason: `rated_down`, `not_kept_<kind>`, `no_reference`, `reference_agrees`, `over_max_per_intent`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from steps.logic.curation.interaction import Interaction
from steps.logic.curation.normalize import answers_differ, conversation_key
from steps.logic.curation.rules import CurationRules
from steps.logic.splits import hash_unit


@dataclass
class Selected:
    kept: list[Interaction]
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> interactions

    def drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1


def _reason(item: Interaction, rules: CurationRules) -> str | None:
    """Why the rules drop this interaction, or None when they keep it."""
    kind = item.feedback
    if kind == "down":
        return "rated_down"
    if kind not in rules.keep_feedback:
        return f"not_kept_{kind}"
    if rules.require_disagreement:
        if item.reference is None:
            return "no_reference"
        if not answers_differ(item.reference, item.response):
            return "reference_agrees"
    return None


def sample_per_intent(items: list[Interaction], limit: int | None, seed: int) -> list[Interaction]:
    """At most `limit` interactions per intent (all when None), input order kept."""
    if limit is None:
        return list(items)
    by_intent: dict[str, list[tuple[float, str, int]]] = {}
    for index, item in enumerate(items):
        key = conversation_key(item.messages, item.tools)
        by_intent.setdefault(item.intent, []).append((hash_unit(seed, key), key, index))
    chosen = {index for ranked in by_intent.values() for _, _, index in sorted(ranked)[:limit]}
    return [item for index, item in enumerate(items) if index in chosen]


def select(items: list[Interaction], rules: CurationRules) -> Selected:
    selected = Selected([])
    for item in items:
        reason = _reason(item, rules)
        if reason is None:
            selected.kept.append(item)
        else:
            selected.drop(reason)
    sampled = sample_per_intent(selected.kept, rules.max_per_intent, rules.seed)
    if len(sampled) < len(selected.kept):
        selected.dropped["over_max_per_intent"] = len(selected.kept) - len(sampled)
    selected.kept = sampled
    return selected
