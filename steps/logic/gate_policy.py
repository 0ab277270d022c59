"""Release gate: compare candidate and base scores against a policy kept as data in the run spec.

Every checked row has a `threshold`, the smallest allowed delta (candidate - base):
- the headline business metric: threshold = min_business_gain;
- each benchmark: threshold = -max_regression (the largest allowed drop, absolute).
Other business metrics are shown for information (threshold None) and do not gate.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from steps.errors import InvalidInputError

_EPS = 1e-9
ScoreKind = Literal["benchmark", "business"]


class GatePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    headline_metric: str = Field(min_length=1, description="business metric that must improve, e.g. all_fields_exact")
    min_business_gain: float = Field(default=0.0, ge=-1.0, le=1.0, description="candidate - base on the headline")
    max_regression: dict[str, float] = Field(
        default_factory=dict, description="per benchmark: largest allowed drop base - candidate (absolute, 0..1)"
    )
    default_max_regression: float = Field(default=0.05, ge=0.0, le=1.0)
    min_samples: int = Field(default=20, ge=1, description="every compared score needs at least this many samples")

    @field_validator("max_regression")
    @classmethod
    def _fractions(cls, value: dict[str, float]) -> dict[str, float]:
        for name, limit in value.items():
            if not 0.0 <= limit <= 1.0:
                raise ValueError(f"max_regression[{name!r}] must be between 0 and 1, got {limit}")
        return value


class Score(BaseModel):
    name: str = Field(min_length=1)
    kind: ScoreKind
    value: float = Field(allow_inf_nan=False)
    stderr: float | None = Field(default=None, ge=0.0)
    n: int = Field(ge=0)


class GateRow(BaseModel):
    name: str
    kind: ScoreKind
    base: float | None
    candidate: float | None
    delta: float | None
    threshold: float | None  # smallest allowed delta; None: informational row
    ci95: tuple[float, float] | None  # 95 % interval of the delta when both stderrs are known
    passed: bool


class GateDecision(BaseModel):
    passed: bool
    reasons: list[str]
    rows: list[GateRow]


def _index(scores: list[Score], side: str) -> dict[str, Score]:
    table: dict[str, Score] = {}
    for score in scores:
        if score.name in table:
            raise InvalidInputError(f"{side} scores name {score.name!r} twice; each metric must be reported once")
        table[score.name] = score
    return table


def _order(name: str, kind: str, headline: str) -> tuple[int, str]:
    if name == headline:
        return (0, name)
    return (1 if kind == "business" else 2, name)


def decide(policy: GatePolicy, base: list[Score], candidate: list[Score]) -> GateDecision:
    """Check every rule; the decision lists every failing check, not just the first."""
    base_by, cand_by = _index(base, "base"), _index(candidate, "candidate")
    kinds: dict[str, str] = {}
    for score in [*base, *candidate]:
        kinds.setdefault(score.name, score.kind)
    kinds.setdefault(policy.headline_metric, "business")
    for name in policy.max_regression:
        kinds.setdefault(name, "benchmark")
    reasons: list[str] = []
    rows: list[GateRow] = []
    for name in sorted(kinds, key=lambda key: _order(key, kinds[key], policy.headline_metric)):
        kind = kinds[name]
        b, c = base_by.get(name), cand_by.get(name)
        if name == policy.headline_metric:
            threshold: float | None = policy.min_business_gain
        elif kind == "benchmark":
            threshold = -policy.max_regression.get(name, policy.default_max_regression)
        else:
            threshold = None
        failures: list[str] = []
        if b is not None and c is not None and b.kind != c.kind:
            failures.append(f"{name}: base reports it as {b.kind}, candidate as {c.kind}")
        if name == policy.headline_metric and kind != "business":
            failures.append(f"{name}: the headline metric must be a business score, got {kind}")
        for side, side_score in (("base", b), ("candidate", c)):
            if side_score is None:
                if threshold is not None:
                    failures.append(f"{name}: no {side} score; the {side} evaluation did not report it")
            elif threshold is not None and side_score.n < policy.min_samples:
                failures.append(
                    f"{name}: {side} has n={side_score.n} samples, fewer than min_samples={policy.min_samples}"
                )
        delta: float | None = None
        ci95: tuple[float, float] | None = None
        if b is not None and c is not None:
            delta = c.value - b.value
            if b.stderr is not None and c.stderr is not None:
                half = 1.96 * math.sqrt(b.stderr**2 + c.stderr**2)
                ci95 = (delta - half, delta + half)
            if threshold is not None and delta < threshold - _EPS:
                if name == policy.headline_metric:
                    failures.append(
                        f"{name}: business gain {delta:+.4f} (base {b.value:.4f} -> candidate {c.value:.4f}) "
                        f"is below the required {policy.min_business_gain:+.4f}"
                    )
                else:
                    failures.append(
                        f"{name}: regression {-delta:.4f} (base {b.value:.4f} -> candidate {c.value:.4f}) "
                        f"exceeds the allowed {-threshold:.4f}"
                    )
        reasons.extend(failures)
        rows.append(
            GateRow(
                name=name,
                kind=kind,
                base=b.value if b else None,
                candidate=c.value if c else None,
                delta=delta,
                threshold=threshold,
                ci95=ci95,
                passed=not failures,
            )
        )
    return GateDecision(passed=not reasons, reasons=reasons, rows=rows)
