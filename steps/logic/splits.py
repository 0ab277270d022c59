"""Deterministic, grouped train/validation/test split.

A group (for bill records: the customer's account_id) goes to one split, chosen by a hash of the
seed and the group key, so the result does not depend on row order and a group keeps its split as
the data grows. If that leaves a split empty (few groups), groups are ranked by the same hash and
the split sizes are taken from the fractions (at least one group each).
"""

from __future__ import annotations

import hashlib
from typing import Callable, Sequence, TypeVar

from steps.errors import InvalidInputError

T = TypeVar("T")
SPLITS = ("training", "validation", "testing")


def _unit(seed: int, key: str) -> float:
    digest = hashlib.sha256(f"{seed}\0{key}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _check_fractions(validation_fraction: float, test_fraction: float) -> None:
    for name, value in (("validation_fraction", validation_fraction), ("test_fraction", test_fraction)):
        if not 0.0 < value < 1.0:
            raise InvalidInputError(f"{name} must be between 0 and 1 (exclusive), got {value}")
    if validation_fraction + test_fraction >= 1.0:
        raise InvalidInputError(
            f"validation_fraction + test_fraction must be below 1 to leave training rows, "
            f"got {validation_fraction} + {test_fraction}"
        )


def _by_threshold(units: dict[str, float], validation_fraction: float, test_fraction: float) -> dict[str, str]:
    assignment: dict[str, str] = {}
    for key, unit in units.items():
        if unit < test_fraction:
            assignment[key] = "testing"
        elif unit < test_fraction + validation_fraction:
            assignment[key] = "validation"
        else:
            assignment[key] = "training"
    return assignment


def _by_rank(units: dict[str, float], validation_fraction: float, test_fraction: float) -> dict[str, str]:
    ranked = sorted(units, key=lambda key: (units[key], key))
    total = len(ranked)
    n_test = max(1, round(total * test_fraction))
    n_validation = max(1, round(total * validation_fraction))
    while n_test + n_validation > total - 1:  # keep at least one training group
        if n_test >= n_validation:
            n_test -= 1
        else:
            n_validation -= 1
    assignment = {key: "testing" for key in ranked[:n_test]}
    assignment.update({key: "validation" for key in ranked[n_test : n_test + n_validation]})
    assignment.update({key: "training" for key in ranked[n_test + n_validation :]})
    return assignment


def split_records(
    items: Sequence[T],
    key: Callable[[T], str],
    validation_fraction: float,
    test_fraction: float,
    seed: int,
) -> dict[str, list[T]]:
    """{"training": [...], "validation": [...], "testing": [...]}, input order kept inside each split."""
    _check_fractions(validation_fraction, test_fraction)
    keys = [key(item) for item in items]
    units = {group: _unit(seed, group) for group in set(keys)}
    if len(units) < 3:
        raise InvalidInputError(
            f"a split needs at least 3 groups (distinct customers) so that training, validation and testing "
            f"each get one; got {len(units)} group(s) in {len(items)} row(s). Add rows for at least "
            f"{3 - len(units)} more customer(s)."
        )
    assignment = _by_threshold(units, validation_fraction, test_fraction)
    if set(assignment.values()) != set(SPLITS):
        assignment = _by_rank(units, validation_fraction, test_fraction)
    result: dict[str, list[T]] = {name: [] for name in SPLITS}
    for item, group in zip(items, keys):
        result[assignment[group]].append(item)
    return result
