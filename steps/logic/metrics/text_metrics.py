"""`exact-match` and `f1`: the answer text against a reference text, after SQuAD-style normalisation.

Normalisation (NeMo Evaluator's, which is the SQuAD v1.1 script's): lower-case, drop ASCII punctuation,
drop the words a/an/the, collapse whitespace. Exact match is 1 when the normalised texts are equal.
F1 is the harmonic mean of token precision and recall over the normalised tokens (a multiset overlap);
when either side has no tokens it is 1 if both have none, else 0.

Beyond NeMo: `reference` may render to a list of texts (several gold answers); the score is then the
maximum over them, as the SQuAD script does. A number (e.g. `{{item.answer}}` holding 42) is read as its
text, where NeMo refuses anything but a string.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from typing import Literal

from steps.logic.metrics.spec_base import DEFAULT_CANDIDATE, MetricSpecBase, RowContext, Score

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_text(text: str) -> str:
    """Lower-case, drop punctuation, drop articles, collapse whitespace (SQuAD v1.1)."""
    lowered = "".join(char for char in text.lower() if char not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", lowered).split())


def exact_match(prediction: str, reference: str) -> float:
    return float(normalize_text(prediction) == normalize_text(reference))


def token_f1(prediction: str, reference: str) -> float:
    predicted = normalize_text(prediction).split()
    gold = normalize_text(reference).split()
    if not predicted or not gold:
        return float(predicted == gold)
    same = sum((Counter(predicted) & Counter(gold)).values())
    if same == 0:
        return 0.0
    precision = same / len(predicted)
    recall = same / len(gold)
    return 2 * precision * recall / (precision + recall)


class _ReferenceAndCandidate(MetricSpecBase):
    reference: str
    candidate: str = DEFAULT_CANDIDATE

    def templates(self) -> dict[str, str]:
        return {"reference": self.reference, "candidate": self.candidate}


class ExactMatchSpec(_ReferenceAndCandidate):
    """`exact-match`: 1 when the normalised candidate equals the (best) normalised reference."""

    type: Literal["exact-match"]

    def scores(self) -> tuple[str, ...]:
        return ("exact-match",)


class F1Spec(_ReferenceAndCandidate):
    """`f1`: token F1 of the candidate against the reference (the best of several)."""

    type: Literal["f1"]

    def scores(self) -> tuple[str, ...]:
        return ("f1",)


def _references(spec: _ReferenceAndCandidate, row: RowContext) -> list[str]:
    value = row.render(spec, "reference", spec.reference)
    if isinstance(value, list | tuple):
        if not value:
            raise row.fail(spec, "reference", "the list of reference answers is empty")
        return [row.as_text(spec, "reference", gold) for gold in value]
    return [row.as_text(spec, "reference", value)]


def score_exact_match(spec: ExactMatchSpec, row: RowContext) -> dict[str, Score]:
    candidate = row.render_text(spec, "candidate", spec.candidate)
    return {"exact-match": Score(max(exact_match(candidate, gold) for gold in _references(spec, row)))}


def score_f1(spec: F1Spec, row: RowContext) -> dict[str, Score]:
    candidate = row.render_text(spec, "candidate", spec.candidate)
    return {"f1": Score(max(token_f1(candidate, gold) for gold in _references(spec, row)))}
