import math
import random
import time

import numpy as np
import pytest

from steps.errors import InvalidInputError
from steps.logic.item_scores import ItemValue, aggregate
from steps.logic.paired_stats import compare, mcnemar_exact, resampled_aggregate


def items(values, prefix="q", strata=None):
    return [
        ItemValue(id=f"{prefix}{i}", value=v, stratum=None if strata is None else strata[i])
        for i, v in enumerate(values)
    ]


@pytest.mark.parametrize(
    ("right_to_wrong", "wrong_to_right", "expected"),
    [
        (0, 0, 1.0),  # no discordant pair
        (0, 5, 2 * 1 / 32),  # 2 * C(5,0) / 2^5
        (1, 9, 2 * (1 + 10) / 1024),  # 2 * (C(10,0) + C(10,1)) / 2^10
        (5, 2, 2 * (1 + 7 + 21) / 128),  # symmetric in the two counts: twice the smaller tail
        (3, 3, 1.0),  # 2 * 42/64 > 1: capped
        (0, 1, 1.0),
    ],
)
def test_mcnemar_exact_matches_hand_computed_binomial_p_values(right_to_wrong, wrong_to_right, expected):
    assert mcnemar_exact(right_to_wrong, wrong_to_right) == pytest.approx(expected, rel=1e-12)


def test_mcnemar_exact_on_many_discordant_pairs_stays_finite():
    p = mcnemar_exact(300, 400)  # 2^700 overflows a float; the exact integers do not
    assert 0.0 < p < 1e-3
    tail = sum(math.comb(700, k) for k in range(301))
    assert p == pytest.approx(2 * tail / 2**700, rel=1e-12)


def test_transitions_and_mcnemar_on_a_0_1_metric():
    base = items([1, 1, 0, 0, 1, 0])
    cand = items([0, 1, 1, 1, 1, 0])
    result = compare("exact", base, cand)
    assert result.binary and result.n == 6 and result.only_base == result.only_candidate == 0
    assert result.right_to_wrong == ["q0"] and result.wrong_to_right == ["q2", "q3"]
    assert result.mcnemar_p == pytest.approx(1.0)  # 2 * (C(3,0) + C(3,1)) / 8 = 1
    assert result.delta == pytest.approx(1 / 6)


def test_a_graded_metric_has_an_interval_but_no_mcnemar_or_transitions():
    result = compare("f1", items([0.5, 1.0, 0.0, 0.25]), items([0.75, 1.0, 0.0, 0.5]))
    assert not result.binary and result.mcnemar_p is None
    assert result.right_to_wrong == [] and result.wrong_to_right == []
    assert result.interval is not None and 0.0 <= result.interval[0] <= result.interval[1] <= 0.25


def test_only_the_shared_items_are_paired_and_the_others_counted():
    base = items([1, 0, 1, 1], prefix="a") + items([1, 1], prefix="b-only")
    cand = items([1, 1, 1, 0], prefix="a") + items([0, 0, 0], prefix="c-only")
    result = compare("exact", base, cand)
    assert (result.n, result.only_base, result.only_candidate) == (4, 2, 3)
    assert result.right_to_wrong == ["a3"] and result.wrong_to_right == ["a1"]
    assert result.delta == pytest.approx(0.0)  # over the shared items only


def test_no_shared_item_gives_no_interval():
    result = compare("exact", items([1, 0], prefix="a"), items([1, 0], prefix="b"))
    assert result.n == 0 and result.interval is None and result.delta is None and result.mcnemar_p is None


def test_an_item_twice_on_one_side_is_an_error():
    with pytest.raises(InvalidInputError, match=r"exact: the candidate results name item 'q0' twice"):
        compare("exact", items([1]), items([1]) + items([0]))


def test_the_bootstrap_is_reproducible_and_depends_on_the_seed():
    rng = random.Random(3)
    base = items([float(rng.random() < 0.5) for _ in range(200)])
    cand = items([float(rng.random() < 0.6) for _ in range(200)])
    first = compare("exact", base, cand, seed=7)
    assert compare("exact", base, cand, seed=7).interval == first.interval
    assert compare("exact", base, cand, seed=8).interval != first.interval
    low, high = first.interval
    assert low < first.delta < high
    narrow = compare("exact", base, cand, seed=7, confidence=0.5).interval
    assert low < narrow[0] < narrow[1] < high


def test_identical_sides_give_a_zero_width_interval():
    values = items([1, 0, 1, 1, 0])
    assert compare("exact", values, values).interval == (0.0, 0.0)


def test_each_resample_is_aggregated_as_item_scores_aggregate_does():
    strata = ["a", "a", "a", "b", "b", "c"]
    values = [1.0, 0.0, 1.0, 0.0, 1.0, 1.0]
    draws = np.array([[0, 1, 2, 3, 4, 5], [0, 0, 3, 3, 3, 1], [5, 5, 5, 5, 5, 5], [2, 4, 4, 0, 5, 3]])
    codes = np.array([0, 0, 0, 1, 1, 2])
    got = resampled_aggregate(np.array(values), codes, draws)
    stratified = items(values, strata=strata)
    assert got == pytest.approx([aggregate([stratified[i] for i in row]) for row in draws])  # strata drop out
    plain = resampled_aggregate(np.array(values), None, draws)
    assert plain == pytest.approx([aggregate([items(values)[i] for i in row]) for row in draws])


def test_a_macro_mean_is_resampled_per_stratum():
    strata = ["rare"] * 5 + ["common"] * 95
    base = items([0.0] * 5 + [1.0] * 95, strata=strata)
    cand = items([1.0] * 5 + [1.0] * 95, strata=strata)
    result = compare("balanced", base, cand)
    assert result.delta == pytest.approx(0.5)  # (1 - 0)/2: the rare class weighs half
    # A resample without a rare item (about 0.6 % of them) shows no gain; the 2.5 % bound does not reach them.
    assert result.interval == (pytest.approx(0.5), pytest.approx(0.5))


def test_the_bootstrap_is_fast_enough_for_ten_metrics_of_1319_items():
    rng = random.Random(0)
    base = items([float(rng.random() < 0.5) for _ in range(1319)])
    cand = items([float(rng.random() < 0.55) for _ in range(1319)])
    start = time.perf_counter()
    for _ in range(10):
        compare("exact", base, cand)
    assert time.perf_counter() - start < 5.0  # about 0.3 s on one core; generous for a loaded machine
