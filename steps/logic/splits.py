"""Deterministic, grouped train/validation/test split.

A group (for bill records: the customer's account_id) goes to one split, chosen by a hash of the
seed and the group key, so the result does not depend on row order and a group keeps its split as
the data grows. If that leaves a split empty (few groups), groups are ranked by the same hash and
the split sizes are taken from the fractions (at least one group each).

With `external_test=True` the testing split comes from elsewhere (a separate test source): the
test fraction must be 0, "testing" stays empty and the groups go to training and validation only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import TypeVar

from steps.errors import InvalidInputError

T = TypeVar("T")
SPLITS = ("training", "validation", "testing")
SHOWN_KEYS = 5


def hash_unit(seed: int, key: str) -> float:
    """A number in [0, 1) drawn from the seed and the key alone (not from row order)."""
    digest = hashlib.sha256(f"{seed}\0{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _check_fractions(validation_fraction: float, test_fraction: float, external_test: bool = False) -> None:
    if external_test and test_fraction != 0.0:
        raise InvalidInputError(
            f"test_fraction must be 0 when the test split comes from a separate test source, got {test_fraction}"
        )
    checked = (("validation_fraction", validation_fraction),) + (
        () if external_test else (("test_fraction", test_fraction),)
    )
    for name, value in checked:
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
    n_test = max(1, round(total * test_fraction)) if test_fraction else 0
    n_validation = max(1, round(total * validation_fraction))
    while n_test + n_validation > total - 1:  # keep at least one training group
        if n_test >= n_validation:
            n_test -= 1
        else:
            n_validation -= 1
    assignment = dict.fromkeys(ranked[:n_test], "testing")
    assignment.update(dict.fromkeys(ranked[n_test : n_test + n_validation], "validation"))
    assignment.update(dict.fromkeys(ranked[n_test + n_validation :], "training"))
    return assignment


def split_records(
    items: Sequence[T],
    key: Callable[[T], str],
    validation_fraction: float,
    test_fraction: float,
    seed: int,
    *,
    external_test: bool = False,
) -> dict[str, list[T]]:
    """{"training": [...], "validation": [...], "testing": [...]}, input order kept inside each split.

    external_test: the testing split comes from a separate source; test_fraction must be 0 and
    "testing" is returned empty.
    """
    _check_fractions(validation_fraction, test_fraction, external_test)
    wanted = SPLITS[:2] if external_test else SPLITS
    keys = [key(item) for item in items]
    units = {group: hash_unit(seed, group) for group in set(keys)}
    if len(units) < len(wanted):
        names = ", ".join(wanted[:-1]) + " and " + wanted[-1]
        raise InvalidInputError(
            f"a split needs at least {len(wanted)} groups (distinct customers) so that {names} "
            f"each get one; got {len(units)} group(s) in {len(items)} row(s). Add rows for at least "
            f"{len(wanted) - len(units)} more customer(s)."
        )
    assignment = _by_threshold(units, validation_fraction, test_fraction)
    if set(assignment.values()) != set(wanted):
        assignment = _by_rank(units, validation_fraction, test_fraction)
    result: dict[str, list[T]] = {name: [] for name in SPLITS}
    for item, group in zip(items, keys, strict=True):
        result[assignment[group]].append(item)
    return result


def check_disjoint(source: str, test_source: str, group_by: str, train_keys: set[str], test_keys: set[str]) -> None:
    """A separate test source must hold only groups that are not in the source."""
    shared = sorted(train_keys & test_keys)
    if shared:
        shown = ", ".join(shared[:SHOWN_KEYS]) + (", ..." if len(shared) > SHOWN_KEYS else "")
        what = f"value(s) of {group_by}" if group_by else "record id(s)"
        raise InvalidInputError(
            f"{source} and {test_source} share {len(shared)} {what}: {shown}. The test source must hold only groups "
            "that are not in the source; remove their rows from one of the files, or generate the test file "
            "with another seed."
        )
