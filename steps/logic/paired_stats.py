"""Paired comparison of base and candidate on the items both answered.

Base and candidate are scored on the same items, so the difference candidate - base is judged per
item: a percentile bootstrap interval that resamples item ids with replacement (the statistic is
`item_scores.aggregate` on each side, so a macro mean over strata is resampled as it is computed),
seeded and reproducible. For 0/1 metrics it adds the exact McNemar test (a two-sided exact binomial
test on the discordant pairs) and the items that went right -> wrong and wrong -> right.

Items only one side has are counted and left out of the pairing.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel

from steps.errors import InvalidInputError
from steps.logic.item_scores import ItemValue, aggregate

DEFAULT_CONFIDENCE = 0.95
DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 0


class PairedComparison(BaseModel):
    n: int  # items both sides have (the pairs)
    only_base: int  # items only the base has (left out)
    only_candidate: int  # items only the candidate has (left out)
    delta: float | None  # aggregate(candidate) - aggregate(base) over the pairs; None without pairs
    interval: tuple[float, float] | None  # bootstrap percentile interval of delta; None without pairs
    binary: bool  # every paired value is 0 or 1
    mcnemar_p: float | None  # exact McNemar p-value; 0/1 metrics only
    right_to_wrong: list[str]  # ids, base 1 -> candidate 0 (0/1 metrics only; in the base's order)
    wrong_to_right: list[str]  # ids, base 0 -> candidate 1


def _by_id(items: list[ItemValue], side: str, metric: str) -> dict[str, ItemValue]:
    table: dict[str, ItemValue] = {}
    for item in items:
        if item.id in table:
            raise InvalidInputError(
                f"{metric}: the {side} results name item {item.id!r} twice; every item id must be unique"
            )
        table[item.id] = item
    return table


def mcnemar_exact(right_to_wrong: int, wrong_to_right: int) -> float:
    """Two-sided exact McNemar p-value: binomial(discordant pairs, 1/2), twice the smaller tail, at most 1."""
    if right_to_wrong < 0 or wrong_to_right < 0:
        raise ValueError("discordant pair counts must not be negative")
    discordant = right_to_wrong + wrong_to_right
    if discordant == 0:
        return 1.0
    tail = sum(math.comb(discordant, k) for k in range(min(right_to_wrong, wrong_to_right) + 1))
    return min(1.0, 2 * tail / 2**discordant)


def _strata_codes(items: list[ItemValue]) -> np.ndarray | None:
    """Each item's stratum as a small integer, or None when no item has a stratum (a plain mean)."""
    if all(item.stratum is None for item in items):
        return None
    names: dict[str, int] = {}
    return np.array([names.setdefault(str(item.stratum), len(names)) for item in items], dtype=np.int64)


def resampled_aggregate(values: np.ndarray, strata: np.ndarray | None, draws: np.ndarray) -> np.ndarray:
    """`aggregate` of every resample: row r of `draws` holds the indices of resample r's items.

    A plain mean, or the mean over the strata present in the resample of each stratum's mean.
    """
    picked = values[draws]
    if strata is None:
        return picked.mean(axis=1)
    rows, kinds = len(draws), int(strata.max()) + 1
    cells = (np.arange(rows)[:, None] * kinds + strata[draws]).ravel()  # (resample, stratum) of every draw
    counts = np.bincount(cells, minlength=rows * kinds).reshape(rows, kinds)
    sums = np.bincount(cells, weights=picked.ravel(), minlength=rows * kinds).reshape(rows, kinds)
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    return means.sum(axis=1) / (counts > 0).sum(axis=1)


def compare(
    metric: str,
    base: list[ItemValue],
    candidate: list[ItemValue],
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> PairedComparison:
    """Pair base and candidate items by id and compare them (see the module docstring)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    base_by, cand_by = _by_id(base, "base", metric), _by_id(candidate, "candidate", metric)
    shared = [item_id for item_id in base_by if item_id in cand_by]
    pairs = [(base_by[i], cand_by[i]) for i in shared]
    binary = bool(pairs) and all(b.value in (0.0, 1.0) and c.value in (0.0, 1.0) for b, c in pairs)
    right_to_wrong = [i for i, (b, c) in zip(shared, pairs, strict=True) if binary and b.value > c.value]
    wrong_to_right = [i for i, (b, c) in zip(shared, pairs, strict=True) if binary and b.value < c.value]
    delta: float | None = None
    interval: tuple[float, float] | None = None
    if pairs:
        base_items, cand_items = [b for b, _ in pairs], [c for _, c in pairs]
        delta = aggregate(cand_items) - aggregate(base_items)
        draws = np.random.default_rng(seed).integers(0, len(pairs), size=(resamples, len(pairs)))
        diffs = resampled_aggregate(
            np.array([c.value for c in cand_items]), _strata_codes(cand_items), draws
        ) - resampled_aggregate(np.array([b.value for b in base_items]), _strata_codes(base_items), draws)
        alpha = 1.0 - confidence
        low, high = np.quantile(diffs, [alpha / 2, 1.0 - alpha / 2])
        interval = (float(low), float(high))
    return PairedComparison(
        n=len(pairs),
        only_base=len(base_by) - len(pairs),
        only_candidate=len(cand_by) - len(pairs),
        delta=delta,
        interval=interval,
        binary=binary,
        mcnemar_p=mcnemar_exact(len(right_to_wrong), len(wrong_to_right)) if binary else None,
        right_to_wrong=right_to_wrong,
        wrong_to_right=wrong_to_right,
    )
