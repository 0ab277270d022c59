"""The split, stratified by intent, with synthetic rows kept out of validation and testing.

Each intent is split on its own with the project's splitter (`steps/logic/splits.py`: each conversation
goes to a split by a hash of the seed and the conversation, so the result does not depend on row order).
An intent with too few rows to give every split one (3, or 2 without a testing split) is pooled with the
other small intents and the pool is split the same way; a pool too small for that goes to training.
Synthetic rows always go to training: validation and testing hold production interactions only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from steps.errors import InvalidInputError
from steps.logic.curation.interaction import Interaction
from steps.logic.curation.normalize import conversation_key
from steps.logic.curation.rules import CurationRules
from steps.logic.splits import SPLITS, split_records


@dataclass(frozen=True)
class Stratified:
    splits: dict[str, list[Interaction]]
    pooled_intents: list[str] = field(default_factory=list)  # split together, too small alone
    training_only_intents: list[str] = field(default_factory=list)  # too small even pooled


def split_by_intent(items: list[Interaction], rules: CurationRules) -> Stratified:
    """{"training", "validation", "testing"} of interactions, input order kept inside each split."""
    external_test = rules.test_fraction == 0.0
    needed = 2 if external_test else 3
    keys = [conversation_key(item.messages, item.tools) for item in items]
    real = [index for index, item in enumerate(items) if not item.synthetic]
    by_intent: dict[str, list[int]] = {}
    for index in real:
        by_intent.setdefault(items[index].intent, []).append(index)
    strata = [group for group in by_intent.values() if len(group) >= needed]
    small = sorted(intent for intent, group in by_intent.items() if len(group) < needed)
    pool = [item for intent in small for item in by_intent[intent]]
    pooled, training_only = (small, []) if len(pool) >= needed else ([], small)
    if pooled:
        strata.append(pool)
    if not strata:
        wanted = "training and validation" if external_test else "training, validation and testing"
        raise InvalidInputError(
            f"{len(real)} production row(s) are left after curation: too few to give {wanted} a row each "
            f"(at least {needed} are needed). Curate more records or loosen the rules."
        )
    where = ["training"] * len(items)
    for stratum in strata:
        parts = split_records(
            stratum,
            keys.__getitem__,
            rules.validation_fraction,
            rules.test_fraction,
            rules.seed,
            external_test=external_test,
        )
        for name, members in parts.items():
            for index in members:
                where[index] = name
    splits: dict[str, list[Interaction]] = {name: [] for name in SPLITS}
    for item, name in zip(items, where, strict=True):
        splits[name].append(item)
    return Stratified(splits, pooled, training_only)
