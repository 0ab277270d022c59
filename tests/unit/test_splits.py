import random

import pytest

from steps.errors import InvalidInputError
from steps.logic.splits import split_records


def _rows(groups: int, per_group: int = 3):
    return [{"group": f"ACC-{g}", "i": i} for g in range(groups) for i in range(per_group)]


def _membership(result):
    return {name: sorted((r["group"], r["i"]) for r in rows) for name, rows in result.items()}


def key(row):
    return row["group"]


def test_split_is_deterministic_grouped_and_order_independent():
    rows = _rows(200)
    first = split_records(rows, key, 0.1, 0.2, seed=42)
    shuffled = rows[:]
    random.Random(1).shuffle(shuffled)
    assert _membership(split_records(shuffled, key, 0.1, 0.2, seed=42)) == _membership(first)
    assert sum(len(v) for v in first.values()) == len(rows)
    groups = {name: {r["group"] for r in part} for name, part in first.items()}
    assert not (
        groups["training"] & groups["validation"]
        or groups["training"] & groups["testing"]
        or groups["validation"] & groups["testing"]
    )
    assert _membership(split_records(rows, key, 0.1, 0.2, seed=43)) != _membership(first)
    # input order is kept inside each split
    assert first["training"] == [r for r in rows if r in first["training"]]


def test_fractions_are_roughly_honoured_on_many_groups():
    result = split_records(_rows(1000, per_group=1), key, 0.1, 0.2, seed=0)
    assert 60 <= len(result["validation"]) <= 140
    assert 150 <= len(result["testing"]) <= 250
    assert len(result["training"]) == 1000 - len(result["validation"]) - len(result["testing"])


def test_a_group_keeps_its_split_when_data_grows():
    small = split_records(_rows(300, 1), key, 0.1, 0.1, seed=5)
    large = split_records(_rows(600, 1), key, 0.1, 0.1, seed=5)
    for name in small:
        assert {r["group"] for r in small[name]} <= {r["group"] for r in large[name]}


@pytest.mark.parametrize("groups", [3, 4, 5, 7])
def test_every_split_gets_a_group_when_there_are_few(groups):
    for seed in range(20):
        result = split_records(_rows(groups, 2), key, 0.1, 0.1, seed=seed)
        assert all(result[name] for name in ("training", "validation", "testing"))


def test_too_few_groups_and_bad_fractions_are_input_errors():
    with pytest.raises(InvalidInputError, match=r"at least 3 groups.*got 2 group\(s\) in 4 row\(s\)"):
        split_records(_rows(2, 2), key, 0.1, 0.1, seed=0)
    for val, test in ((0.0, 0.1), (0.1, 1.0), (0.5, 0.5), (-0.1, 0.2)):
        with pytest.raises(InvalidInputError, match="fraction"):
            split_records(_rows(10), key, val, test, seed=0)


def test_external_test_splits_into_training_and_validation_only():
    rows = _rows(50)
    result = split_records(rows, key, 0.2, 0.0, seed=3, external_test=True)
    assert result["testing"] == [] and result["training"] and result["validation"]
    assert sum(len(v) for v in result.values()) == len(rows)
    for seed in range(10):  # two groups are enough: one each
        few = split_records(_rows(2), key, 0.1, 0.0, seed=seed, external_test=True)
        assert few["training"] and few["validation"] and not few["testing"]
    with pytest.raises(InvalidInputError, match=r"at least 2 groups.*training and validation"):
        split_records(_rows(1), key, 0.1, 0.0, seed=0, external_test=True)
    with pytest.raises(InvalidInputError, match="test_fraction must be 0"):
        split_records(rows, key, 0.1, 0.2, seed=0, external_test=True)
    with pytest.raises(InvalidInputError, match="test_fraction must be between 0 and 1"):
        split_records(rows, key, 0.1, 0.0, seed=0)
