"""Drift of the champion on recent labelled production traffic: the policy and the decision (docs/flywheel.md).

The check scores the released adapter (`champion`) on the latest production records that carry a label (a
user's correction or a reference answer) with one of the run spec's metrics, and compares the score with two
thresholds, each optional (at least one is set):
- `floor`: the lowest acceptable score, whatever the release scored;
- `max_drop`: the largest acceptable fall below the score the champion had when it was released (its gate row
  on the release run's test split).
The score must reach the stricter (higher) of the two; below it, by more than rounding, the champion has
drifted. Fewer labelled records than `min_records`, no score, or no threshold to apply (only `max_drop` and no
release score) decide nothing: "not enough data". Pure logic: numbers in, a verdict with a one-line reason out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from steps.logic.curation.parse import OnInvalid

Status = Literal["drifted", "stable", "insufficient-data", "no-champion"]
LabelKind = Literal["corrected", "reference", "rated-up"]
TOLERANCE = 1e-9  # a score equal to its threshold up to float rounding is not below it
WINDOW_PATTERN = r"^([1-9][0-9]*)([mhd])$"
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}


def _default_labels() -> list[LabelKind]:
    return ["corrected", "reference"]


class DriftPolicy(BaseModel):
    """Where the recent labelled traffic comes from, what is watched, and when it has drifted."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(
        min_length=1,
        description="Production records (docs/curation.md): a JSONL path relative to the project or a file:// URI "
        "the check can read",
    )
    metric: str = Field(
        "",
        pattern=r"^([a-z][a-z0-9_-]*\.[A-Za-z0-9_.-]+)?$",
        description="Score watched, <metric name>.<score name>, one of the run spec's business_eval metrics; "
        "empty: the gate's headline",
    )
    floor: float | None = Field(None, ge=0, le=1, description="Drifted when the score falls below this")
    max_drop: float | None = Field(
        None, ge=0, le=1, description="Drifted when the score falls more than this below the champion's release score"
    )
    min_records: int = Field(50, ge=1, description="Fewer labelled records than this: not enough data, no trigger")
    max_records: int = Field(500, ge=1, description="Score at most the latest this many labelled records")
    window: str = Field(
        "",
        pattern=r"^([1-9][0-9]*[mhd])?$",
        description="Only records newer than this before the check (e.g. 90m, 24h, 7d); empty: no age limit",
    )
    labels: list[LabelKind] = Field(
        default_factory=_default_labels,
        min_length=1,
        description="What counts as a record's label, in order of preference: corrected (a user's corrected "
        "answer), reference (a reference model's answer), rated-up (the logged answer, rated up)",
    )
    on_invalid: OnInvalid = Field("skip", description="A malformed record: skip it (counted) or fail the check")

    @field_validator("labels")
    @classmethod
    def _unique(cls, labels: list[LabelKind]) -> list[LabelKind]:
        if len(set(labels)) != len(labels):
            raise ValueError("a label kind is listed twice; list each once, in order of preference")
        return labels

    @model_validator(mode="after")
    def _a_threshold(self) -> DriftPolicy:
        if self.floor is None and self.max_drop is None:
            raise ValueError("set floor, max_drop or both: without a threshold nothing can drift")
        if self.min_records > self.max_records:
            raise ValueError(f"min_records {self.min_records} is above max_records {self.max_records}")
        return self

    def window_length(self) -> timedelta | None:
        """The age limit of the records scored (None: no limit)."""
        match = re.match(WINDOW_PATTERN, self.window)
        return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)]) if match else None


class Observed(BaseModel):
    """The watched score on the recent records: its value (None: no item could be scored), stderr and n."""

    value: float | None
    stderr: float | None = None
    n: int

    @classmethod
    def from_items(cls, values: Sequence[float]) -> Observed:
        """The mean of per-record scores and its standard error sqrt(var/n) (population variance)."""
        if not values:
            return cls(value=None, n=0)
        mean = sum(values) / len(values)
        variance = sum((v - mean) ** 2 for v in values) / len(values)
        return cls(value=mean, stderr=math.sqrt(variance / len(values)), n=len(values))


class Verdict(BaseModel):
    status: Status
    metric: str
    value: float | None = None
    stderr: float | None = None
    records: int = 0
    reference: float | None = None  # the champion's score at release
    threshold: float | None = None  # the score the check asked for
    reason: str

    @property
    def drifted(self) -> bool:
        return self.status == "drifted"


def no_champion(metric: str, model: str, records: int) -> Verdict:
    """Nothing released yet: there is no model to watch."""
    reason = (
        f"no champion: {model!r} has no version with alias champion, so nothing released yet can drift "
        f"({records} labelled records ready); a run that passes the gate and is rolled out makes one"
    )
    return Verdict(status="no-champion", metric=metric, records=records, reason=reason)


def _thresholds(policy: DriftPolicy, reference: float | None, champion: str) -> list[tuple[float, str]]:
    found = [(policy.floor, f"floor {policy.floor:.4f}")] if policy.floor is not None else []
    if policy.max_drop is not None and reference is not None:
        found.append(
            (
                reference - policy.max_drop,
                f"{champion}'s release score {reference:.4f} - max_drop {policy.max_drop:.4f}",
            )
        )
    return found


def decide(
    policy: DriftPolicy, metric: str, observed: Observed, reference: float | None, champion: str, window: str = ""
) -> Verdict:
    """Drifted, stable or not enough data, with a reason naming the numbers. `reference`: the champion's score
    on `metric` at release (None when not recorded); `champion`: how to name it (e.g. `bill-explainer v3`)."""
    base = {"metric": metric, "value": observed.value, "stderr": observed.stderr, "records": observed.n}
    scope = f"{observed.n} labelled records" + (f" of the last {window}" if window else "")
    if observed.n < policy.min_records:
        reason = f"not enough data: {scope}, fewer than min_records {policy.min_records}; nothing decided"
        return Verdict(status="insufficient-data", reference=reference, reason=reason, **base)
    if observed.value is None:
        reason = f"not enough data: no record of {scope} could be scored on {metric}; nothing decided"
        return Verdict(status="insufficient-data", reference=reference, reason=reason, **base)
    thresholds = _thresholds(policy, reference, champion)
    if not thresholds:
        reason = (
            f"not enough data: {champion} has no release score of {metric} to apply max_drop to; set drift.floor, "
            "or watch the gate's headline (recorded at release)"
        )
        return Verdict(status="insufficient-data", reference=reference, reason=reason, **base)
    threshold, why = max(thresholds)
    others = [text for value, text in thresholds if text != why]
    detail = why + (f"; {'; '.join(others)}" if others else "")
    stderr = f" (stderr {observed.stderr:.4f})" if observed.stderr is not None else ""
    score = f"{metric} = {observed.value:.4f}{stderr} on {scope}"
    if observed.value < threshold - TOLERANCE:
        status: Status = "drifted"
        reason = f"drifted: {score} is below {threshold:.4f} ({detail})"
    else:
        status = "stable"
        reason = f"stable: {score} is at or above {threshold:.4f} ({detail})"
    return Verdict(status=status, reference=reference, threshold=threshold, reason=reason, **base)
