"""Per-item scores: what a paired comparison of base and candidate needs from every evaluation.

Base and candidate answer the same items, so each score travels with its per-item values, keyed
by the item's id. A score's value is the mean of its items' values, or, when the items carry a
stratum (e.g. the reference class of a balanced accuracy), the mean over strata of each
stratum's mean (a macro average).
"""

from __future__ import annotations

import math

from pydantic import BaseModel, Field


class ItemValue(BaseModel):
    id: str = Field(min_length=1)
    value: float = Field(allow_inf_nan=False)
    stratum: str | None = None


def aggregate(items: list[ItemValue]) -> float:
    """The score of a list of item values: mean, or macro mean over strata when any item has one."""
    if not items:
        raise ValueError("no items to aggregate")
    if all(item.stratum is None for item in items):
        return sum(item.value for item in items) / len(items)
    strata: dict[str, list[float]] = {}
    for item in items:
        strata.setdefault(str(item.stratum), []).append(item.value)
    return sum(sum(values) / len(values) for values in strata.values()) / len(strata)


def stderr(items: list[ItemValue]) -> float:
    """Standard error of `aggregate`: sqrt(var/n) (population variance), per stratum for a macro mean.

    For 0/1 values this is sqrt(p(1-p)/n); for a macro mean sqrt(sum_k var_k/n_k) / strata.
    """
    if not items:
        raise ValueError("no items to aggregate")

    def var_over_n(values: list[float]) -> float:
        mean = sum(values) / len(values)
        return sum((v - mean) ** 2 for v in values) / len(values) / len(values)

    if all(item.stratum is None for item in items):
        return math.sqrt(var_over_n([item.value for item in items]))
    strata: dict[str, list[float]] = {}
    for item in items:
        strata.setdefault(str(item.stratum), []).append(item.value)
    return math.sqrt(sum(var_over_n(values) for values in strata.values())) / len(strata)
