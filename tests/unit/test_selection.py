"""Choosing the one candidate a run releases, on constructed results."""

from steps.logic.gate_policy import GatePolicy, Score
from steps.logic.item_scores import ItemValue
from steps.logic.selection import CHAMPION_PREFIX, CandidateResult, Champion, Cost, select, separable

HEADLINE = "answer.accuracy"
N = 40


def business(right: int, n: int = N) -> Score:
    """A headline score where the first `right` of n items are right (per-item values, paired by id)."""
    items = [ItemValue(id=f"q{i}", value=1.0 if i < right else 0.0) for i in range(n)]
    return Score(name=HEADLINE, kind="business", value=right / n, n=n, items=items)


def bench(value: float, name: str = "gsm8k") -> Score:
    right = round(value * N)
    items = [ItemValue(id=f"{name}{i}", value=1.0 if i < right else 0.0) for i in range(N)]
    return Score(name=name, kind="benchmark", value=right / N, n=N, items=items)


def result(
    name: str, right: int, gsm8k: float = 0.5, params: int = 1000, rank: int = 8, base: str = "b"
) -> CandidateResult:
    return CandidateResult(
        name=name,
        base_model=base,
        adapter_id=f"adapter-{name}",
        scores=[business(right), bench(gsm8k)],
        cost=Cost(lora_rank=rank, trainable_parameters=params, steps=100),
    )


POLICY = GatePolicy(headline_metric=HEADLINE, min_business_gain=0.1, default_max_regression=0.1, min_samples=20)
BASES = {"b": [business(10), bench(0.5)]}


def test_without_candidates_section_one_candidate_is_decided_as_before():
    chosen = select(POLICY, 0.01, [""], [result("", 30)], BASES, None)
    assert chosen.winner == "" and chosen.verdicts[0].rank == 1
    assert [row.name for row in chosen.verdicts[0].decision.rows] == [HEADLINE, "gsm8k"]


def test_a_tie_goes_to_the_cheaper_candidate():
    big, small = result("big", 30, params=4000, rank=16), result("small", 29, params=1000, rank=4)
    assert not separable(POLICY, big, small)  # 30/40 vs 29/40: not told apart
    chosen = select(POLICY, 0.01, ["big", "small"], [big, small], BASES, None)
    assert chosen.winner == "small"
    assert [v.name for v in chosen.verdicts] == ["small", "big"] and chosen.verdicts[1].rank == 2
    assert "costs least" in chosen.reasons[0]


def test_a_clearly_better_candidate_wins_even_when_it_costs_more():
    big, small = result("big", 38, params=4000), result("small", 20, params=1000)
    assert separable(POLICY, big, small)
    assert select(POLICY, 0.01, ["big", "small"], [big, small], BASES, None).winner == "big"


def test_better_than_its_base_but_not_than_the_champion_is_not_released():
    champion = Champion(version="3", adapter_id="adapter-old", base_model="b", scores=[business(32), bench(0.5)])
    chosen = select(POLICY, 0.01, ["new"], [result("new", 30)], BASES, champion)
    assert chosen.winner is None
    verdict = chosen.verdicts[0]
    assert verdict.rank is None and not verdict.decision.passed
    assert any(r.startswith("vs champion: ") for r in verdict.decision.reasons)
    assert CHAMPION_PREFIX + HEADLINE in [row.name for row in verdict.decision.rows]
    # the same candidate passes against its base alone
    assert select(POLICY, 0.01, ["new"], [result("new", 30)], BASES, None).winner == "new"


def test_beating_the_champion_by_the_margin_releases():
    champion = Champion(version="3", adapter_id="adapter-old", base_model="b", scores=[business(20), bench(0.5)])
    assert select(POLICY, 0.01, ["new"], [result("new", 30)], BASES, champion).winner == "new"


def test_an_aggressive_candidate_is_blocked_by_a_regression_and_another_is_released():
    aggressive = result("aggressive", 39, gsm8k=0.1, params=1000)
    gentle = result("gentle", 28, gsm8k=0.5, params=4000)
    chosen = select(POLICY, 0.01, ["gentle", "aggressive"], [gentle, aggressive], BASES, None)
    assert chosen.winner == "gentle"
    blocked = chosen.verdicts[-1]
    assert blocked.name == "aggressive" and blocked.rank is None
    assert any("gsm8k: regression" in r for r in blocked.decision.reasons)


def test_a_failed_candidate_is_listed_and_the_best_finished_one_is_released():
    chosen = select(POLICY, 0.01, ["a", "b", "c"], [result("a", 30), result("c", 25, params=10)], BASES, None)
    assert chosen.failed == ["b"]
    assert chosen.winner in {"a", "c"}


def test_the_champion_itself_is_not_compared_with_itself():
    again = result("", 30)
    champion = Champion(version="3", adapter_id=again.adapter_id, base_model="b", scores=again.scores)
    chosen = select(POLICY, 0.01, [""], [again], BASES, champion)
    assert chosen.winner == "" and chosen.verdicts[0].is_champion
    assert not any(row.name.startswith(CHAMPION_PREFIX) for row in chosen.verdicts[0].decision.rows)


def test_each_candidate_is_compared_with_its_own_base():
    bases = {"b": [business(10), bench(0.5)], "other": [business(29), bench(0.5)]}
    on_other = result("on-other", 30, base="other")  # +1 item over its own base: below the 0.1 gain
    chosen = select(POLICY, 0.01, ["on-other", "on-b"], [on_other, result("on-b", 30)], bases, None)
    assert chosen.winner == "on-b"
    assert chosen.verdicts[-1].name == "on-other" and not chosen.verdicts[-1].decision.passed


def test_nothing_passes_says_so():
    chosen = select(POLICY, 0.01, ["a"], [result("a", 11)], BASES, None)
    assert chosen.winner is None and chosen.reasons == ["no candidate passed the gate"]
    assert chosen.shown().name == "a"
