"""What the base model's pre-training corpus must never contain, and what skipping it cost.

No document may contain a question of the smoke benchmark sets, and no SQuAD-layout paragraph may be about
a town of the smoke SQuAD set; `CorpusStats` counts the documents per skill and the candidates skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from steps.data import smoke_benchmarks as smoke
from steps.data.smoke_squad import squad_rows


@dataclass(frozen=True)
class Decontamination:
    """What the corpus must never contain: evaluated questions and SQuAD titles."""

    questions: frozenset[str] = field(default_factory=frozenset)
    squad_titles: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_smoke_sets(cls, seed: int = smoke.DEFAULT_SEED, n: int = smoke.SMOKE_ROWS) -> Decontamination:
        questions = {row["question"] for row in smoke.gsm8k_rows(seed, n, "test")}
        questions |= {row["question"] for row in smoke.triviaqa_rows(seed, n)}
        squad = squad_rows(seed, n)
        questions |= {row["question"] for row in squad}
        return cls(frozenset(questions), frozenset(row["title"] for row in squad))


@dataclass
class CorpusStats:
    documents: dict[str, int] = field(default_factory=dict)
    skipped_contaminated: int = 0
