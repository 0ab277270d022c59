import itertools

import pytest

from steps.basemodel.decontamination import CorpusStats, Decontamination
from steps.basemodel.pretrain_corpus import documents
from steps.basemodel.recipe import RECIPES
from steps.data import smoke_benchmarks as smoke

DEFAULT_MIX = RECIPES["llmops/tiny-llama"]["pretrain"]["mix"]


def _take(seed: int, n: int, clean: Decontamination, stats: CorpusStats | None = None):
    return list(itertools.islice(documents(seed, DEFAULT_MIX, lambda t: len(t.split()), clean, stats), n))


def test_same_seed_same_documents_and_mix_follows_the_shares():
    clean = Decontamination.from_smoke_sets()
    first, second = _take(7, 600, clean), _take(7, 600, clean)
    assert first == second and first != _take(8, 600, clean)
    words = {skill: sum(n for s, _, n in first if s == skill) for skill in DEFAULT_MIX}
    total = sum(words.values())
    for skill, share in DEFAULT_MIX.items():
        assert words[skill] / total == pytest.approx(share, abs=0.03)


def test_no_evaluated_question_and_no_business_answer_format_in_the_corpus():
    clean = Decontamination.from_smoke_sets()
    stats = CorpusStats()
    texts = [text for _, text, _ in _take(7, 3000, clean, stats)]
    assert stats.skipped_contaminated > 0  # the generators do produce evaluated items; they are dropped
    corpus = "\n".join(texts)
    for question in clean.questions:
        assert question not in corpus
    for title in clean.squad_titles:
        assert f"Title: {title}\n" not in corpus
    assert "bill_found" not in corpus and "change_reason" not in corpus
    # the facts behind the closed-book questions are stated, in sentences
    world = smoke.synthetic_world()
    assert sum(f"The capital city of {f['country']} is {f['capital']}." in corpus for f in world) >= 30


def test_unknown_skills_are_rejected():
    with pytest.raises(ValueError, match="known skills"):
        next(documents(0, {"poetry": 1.0}, len, Decontamination()))
