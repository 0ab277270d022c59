"""Release gate: compare candidate and base scores against a policy kept as data in the run spec.

Every checked row has a `threshold`, the smallest allowed delta (candidate - base):
- the headline business metric: threshold = min_business_gain, judged by `gain_rule`;
- each benchmark: threshold = -max_regression (the largest allowed drop, absolute), judged by
  `regression_rule`;
- each business score named in max_business_regression: threshold = -its allowed drop, judged by
  `regression_rule` (a secondary score that must not get worse, e.g. the arguments of a tool call).
A rule is `point` (the delta of the reported scores must clear the threshold) or `interval` (the lower
bound of the delta's interval must: a gain smaller, or a regression larger, than allowed cannot be
excluded otherwise). The interval is the paired bootstrap one over the items both sides answered
(`paired_stats`); a score without per-item values falls back to the unpaired normal interval from
the two standard errors, and the row says so. Other business metrics are shown for information
(rule `info`) and do not gate. `min_samples` applies to the number of pairs when both sides have
per-item values, to each side's n otherwise.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from steps.errors import InvalidInputError
from steps.logic import paired_stats
from steps.logic.item_scores import ItemValue
from steps.logic.paired_stats import PairedComparison

_EPS = 1e-9
ScoreKind = Literal["benchmark", "business"]
Rule = Literal["point", "interval"]
RULES: tuple[Rule, ...] = ("point", "interval")


class GatePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    headline_metric: str = Field(min_length=1, description="business metric that must improve, e.g. all_fields_exact")
    min_business_gain: float = Field(default=0.0, ge=-1.0, le=1.0, description="candidate - base on the headline")
    max_regression: dict[str, float] = Field(
        default_factory=dict, description="per benchmark: largest allowed drop base - candidate (absolute, 0..1)"
    )
    default_max_regression: float = Field(default=0.05, ge=0.0, le=1.0)
    max_business_regression: dict[str, float] = Field(
        default_factory=dict, description="business score besides the headline -> largest allowed drop (0..1)"
    )
    min_samples: int = Field(default=20, ge=1, description="every compared score needs at least this many samples")
    gain_rule: Rule = Field(default="point", description="headline: the point delta or the interval's lower bound")
    regression_rule: Rule = Field(default="point", description="benchmarks: the point delta or the lower bound")
    confidence: float = Field(default=paired_stats.DEFAULT_CONFIDENCE, gt=0.0, lt=1.0)
    resamples: int = Field(default=paired_stats.DEFAULT_RESAMPLES, ge=100, le=100_000)
    bootstrap_seed: int = Field(default=paired_stats.DEFAULT_SEED, ge=0)
    unusable: dict[str, str] = Field(
        default_factory=dict, description="score -> why the gate may not rely on it (e.g. an uncalibrated judge)"
    )

    @field_validator("max_regression", "max_business_regression")
    @classmethod
    def _fractions(cls, value: dict[str, float], info) -> dict[str, float]:
        for name, limit in value.items():
            if not 0.0 <= limit <= 1.0:
                raise ValueError(f"{info.field_name}[{name!r}] must be between 0 and 1, got {limit}")
        return value


class Score(BaseModel):
    name: str = Field(min_length=1)
    kind: ScoreKind
    value: float = Field(allow_inf_nan=False)
    stderr: float | None = Field(default=None, ge=0.0)
    n: int = Field(ge=0)
    items: list[ItemValue] | None = None  # per-item values; None when the evaluator gave none


class GateRow(BaseModel):
    name: str
    kind: ScoreKind
    base: float | None
    candidate: float | None
    delta: float | None  # candidate - base of the reported scores
    threshold: float | None  # smallest allowed delta; None: informational row
    rule: Literal["point", "interval", "info"]  # what decided the row
    interval: tuple[float, float] | None  # interval of the delta at the policy's confidence
    interval_kind: Literal["paired", "unpaired"] | None  # unpaired: a side has no per-item values
    paired: PairedComparison | None  # the per-item comparison when both sides have per-item values
    passed: bool


class GateDecision(BaseModel):
    passed: bool
    reasons: list[str]
    rows: list[GateRow]
    confidence: float


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


def _interval(
    b: Score, c: Score, paired: PairedComparison | None, confidence: float
) -> tuple[tuple[float, float] | None, Literal["paired", "unpaired"] | None]:
    """The paired interval when both sides have per-item values; else the normal interval from the two
    standard errors (the samples taken as independent), when both are known."""
    if paired is not None:
        return paired.interval, "paired" if paired.interval else None
    if b.stderr is None or c.stderr is None:
        return None, None
    delta = c.value - b.value
    half = NormalDist().inv_cdf(0.5 + confidence / 2) * (b.stderr**2 + c.stderr**2) ** 0.5
    return (delta - half, delta + half), "unpaired"


def _sample_failures(
    name: str, b: Score | None, c: Score | None, paired: PairedComparison | None, least: int
) -> list[str]:
    if paired is None:
        return [
            f"{name}: {side} has n={score.n} samples, fewer than min_samples={least}"
            for side, score in (("base", b), ("candidate", c))
            if score is not None and score.n < least
        ]
    if paired.n >= least:
        return []
    unshared = f" ({paired.only_base} only in base, {paired.only_candidate} only in candidate)"
    return [
        f"{name}: {paired.n} items are answered by both base and candidate"
        f"{unshared if paired.only_base or paired.only_candidate else ''}, fewer than min_samples={least}"
    ]


def _check(row: GateRow, threshold: float, delta: float, headline: bool) -> list[str]:
    """The threshold check of a gating row under its rule."""
    scores = f"(base {row.base:.4f} -> candidate {row.candidate:.4f})"
    if row.rule == "interval":
        if row.interval is None:
            missing = (
                "no item is answered by both sides"
                if row.paired is not None
                else "neither per-item values nor both standard errors were reported"
            )
            return [f"{row.name}: the interval rule needs an interval of the delta, but {missing}"]
        low = row.interval[0]
        if low >= threshold - _EPS:
            return []
        bound = f"its {row.interval_kind} interval's lower bound {low:+.4f}"
        if headline:
            return [f"{row.name}: business gain {delta:+.4f} {scores}, {bound} is below the required {threshold:+.4f}"]
        excluded = f"a drop beyond the allowed {-threshold:.4f} is not excluded"
        return [f"{row.name}: regression {-delta:.4f} {scores}, {bound} is below {threshold:+.4f}: {excluded}"]
    if delta >= threshold - _EPS:
        return []
    if headline:
        return [f"{row.name}: business gain {delta:+.4f} {scores} is below the required {threshold:+.4f}"]
    return [f"{row.name}: regression {-delta:.4f} {scores} exceeds the allowed {-threshold:.4f}"]


def decide(policy: GatePolicy, base: list[Score], candidate: list[Score]) -> GateDecision:
    """Check every rule; the decision lists every failing check, not just the first."""
    base_by, cand_by = _index(base, "base"), _index(candidate, "candidate")
    kinds: dict[str, str] = {}
    for score in [*base, *candidate]:
        kinds.setdefault(score.name, score.kind)
    kinds.setdefault(policy.headline_metric, "business")
    for name in policy.max_regression:
        kinds.setdefault(name, "benchmark")
    for name in policy.max_business_regression:
        kinds.setdefault(name, "business")
    reasons: list[str] = []
    rows: list[GateRow] = []
    for name in sorted(kinds, key=lambda key: _order(key, kinds[key], policy.headline_metric)):
        kind = kinds[name]
        headline = name == policy.headline_metric
        b, c = base_by.get(name), cand_by.get(name)
        threshold: float | None = None
        rule: Literal["point", "interval", "info"] = "info"
        if headline:
            threshold, rule = policy.min_business_gain, policy.gain_rule
        elif kind == "benchmark":
            threshold = -policy.max_regression.get(name, policy.default_max_regression)
            rule = policy.regression_rule
        elif name in policy.max_business_regression:
            threshold, rule = -policy.max_business_regression[name], policy.regression_rule
        failures: list[str] = []
        if b is not None and c is not None and b.kind != c.kind:
            failures.append(f"{name}: base reports it as {b.kind}, candidate as {c.kind}")
        if headline and kind != "business":
            failures.append(f"{name}: the headline metric must be a business score, got {kind}")
        if threshold is not None and name in policy.unusable:
            failures.append(f"the gate refuses to decide on {name}: {policy.unusable[name]}")
        if threshold is not None:
            failures.extend(
                f"{name}: no {side} score; the {side} evaluation did not report it"
                for side, score in (("base", b), ("candidate", c))
                if score is None
            )
        paired: PairedComparison | None = None
        if b is not None and c is not None and b.items is not None and c.items is not None:
            paired = paired_stats.compare(
                name,
                b.items,
                c.items,
                confidence=policy.confidence,
                resamples=policy.resamples,
                seed=policy.bootstrap_seed,
            )
        if threshold is not None:
            failures.extend(_sample_failures(name, b, c, paired, policy.min_samples))
        interval, interval_kind = _interval(b, c, paired, policy.confidence) if b and c else (None, None)
        row = GateRow(
            name=name,
            kind=kind,
            base=b.value if b else None,
            candidate=c.value if c else None,
            delta=c.value - b.value if b and c else None,
            threshold=threshold,
            rule=rule,
            interval=interval,
            interval_kind=interval_kind,
            paired=paired,
            passed=False,
        )
        if row.delta is not None and threshold is not None:
            failures.extend(_check(row, threshold, row.delta, headline))
        row.passed = not failures
        reasons.extend(failures)
        rows.append(row)
    return GateDecision(passed=not reasons, reasons=reasons, rows=rows, confidence=policy.confidence)
