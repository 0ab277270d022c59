"""Which candidate a run releases: every candidate against its base and the champion, then a ranking.

- Each finished candidate is decided against its own base model under the run's policy (`gate_policy`),
  and, when the registered model has a champion, against the champion under the same rules with the
  headline threshold `min_gain_over_champion` (a candidate that is the champion itself is not compared with
  itself: releasing it again changes nothing).
- The candidates that pass both are ranked by the headline score. Every one that the best cannot be told
  apart from (the paired interval of their difference includes 0) is a contender, and the cheapest
  contender wins: fewer trainable parameters, then a smaller rank, then fewer training steps.
- Exactly one candidate is released, or none when none passes. Candidates that were planned but report no
  result (their branch failed) are listed as failed and take no part.
Pure: no I/O.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, Field

from steps.logic.gate_policy import GateDecision, GatePolicy, Score, decide

CHAMPION_PREFIX = "vs champion/"


class Cost(BaseModel):
    lora_rank: int
    trainable_parameters: int | None = None
    steps: int | None = None
    seconds: float | None = None  # wall time of the training
    gpu_seconds: float | None = None  # where the platform reports it

    def key(self) -> tuple[float, float, float]:
        return (
            math.inf if self.trainable_parameters is None else self.trainable_parameters,
            self.lora_rank,
            math.inf if self.steps is None else self.steps,
        )


class CandidateResult(BaseModel):
    name: str
    base_model: str
    adapter_id: str
    scores: list[Score]
    cost: Cost


class Champion(BaseModel):
    version: str
    adapter_id: str
    base_model: str
    scores: list[Score]


class Verdict(BaseModel):
    name: str
    base_model: str
    adapter_id: str
    headline: float | None
    cost: Cost
    is_champion: bool
    decision: GateDecision  # against the base, then (rows prefixed CHAMPION_PREFIX) against the champion
    rank: int | None = None  # 1 = released; None: blocked
    note: str = ""


class Selection(BaseModel):
    winner: str | None
    verdicts: list[Verdict]  # ranked: passing ones by rank, then the blocked ones
    failed: list[str] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)  # why the winner won, or why none did

    def chosen(self) -> Verdict | None:
        return next((v for v in self.verdicts if v.name == self.winner), None)

    def shown(self) -> Verdict:
        """The verdict the run's report leads with: the winner's, else the best blocked candidate's."""
        return self.chosen() or self.verdicts[0]


def _against_champion(policy: GatePolicy, gain: float, champion: Champion, scores: list[Score]) -> GateDecision:
    decision = decide(policy.model_copy(update={"min_business_gain": gain}), champion.scores, scores)
    rows = [row.model_copy(update={"name": CHAMPION_PREFIX + row.name}) for row in decision.rows]
    return decision.model_copy(
        update={
            "rows": rows,
            "reasons": [f"vs champion: {r.replace('(base ', '(champion ')}" for r in decision.reasons],
        }
    )


def _verdict(
    policy: GatePolicy, gain: float, c: CandidateResult, base: list[Score], champion: Champion | None
) -> Verdict:
    decision = decide(policy, base, c.scores)
    is_champion = champion is not None and champion.adapter_id == c.adapter_id
    if champion is not None and not is_champion:
        other = _against_champion(policy, gain, champion, c.scores)
        decision = GateDecision(
            passed=decision.passed and other.passed,
            reasons=decision.reasons + other.reasons,
            rows=decision.rows + other.rows,
            confidence=decision.confidence,
        )
    headline = next((s.value for s in c.scores if s.name == policy.headline_metric), None)
    return Verdict(
        name=c.name,
        base_model=c.base_model,
        adapter_id=c.adapter_id,
        headline=headline,
        cost=c.cost,
        is_champion=is_champion,
        decision=decision,
        note="already the champion" if is_champion else "",
    )


def separable(policy: GatePolicy, better: CandidateResult, other: CandidateResult) -> bool:
    """Whether `better` beats `other` on the headline beyond doubt: the lower bound of the interval of
    their difference is above 0 (the point difference, when no interval can be formed)."""
    pick = [s for s in other.scores if s.name == policy.headline_metric]
    top = [s for s in better.scores if s.name == policy.headline_metric]
    if not pick or not top:
        return False
    probe = policy.model_copy(update={"min_business_gain": 0.0, "gain_rule": "interval", "min_samples": 1})
    row = decide(probe, pick, top).rows[0]
    if row.interval is None:
        return (row.delta or 0.0) > 0
    return row.interval[0] > 0


def select(
    policy: GatePolicy,
    gain_over_champion: float,
    planned: list[str],
    results: list[CandidateResult],
    bases: dict[str, list[Score]],
    champion: Champion | None,
) -> Selection:
    by_name = {r.name: r for r in results}
    failed = [name for name in planned if name not in by_name]
    verdicts = [_verdict(policy, gain_over_champion, r, bases.get(r.base_model, []), champion) for r in results]
    passing = sorted((v for v in verdicts if v.decision.passed), key=lambda v: (_best_first(v), v.cost.key()))
    blocked = [v for v in verdicts if not v.decision.passed]
    reasons: list[str] = []
    winner: str | None = None
    if passing:
        best = by_name[passing[0].name]
        contenders = [v for v in passing if v is passing[0] or not separable(policy, best, by_name[v.name])]
        chosen = min(contenders, key=lambda v: v.cost.key())
        winner = chosen.name
        order = [chosen, *(v for v in passing if v is not chosen)]
        for rank, v in enumerate(order, 1):
            v.rank = rank
        tied = [v.name or "the candidate" for v in contenders if v is not chosen]
        if tied:
            reasons.append(
                f"{_label(chosen)} costs least among the candidates the best cannot be told apart from on "
                f"{policy.headline_metric} (also: {', '.join(tied)})"
            )
        elif len(passing) > 1:
            reasons.append(f"{_label(chosen)} has the best {policy.headline_metric} ({chosen.headline:.4f})")
        passing = order
    else:
        reasons.append("no candidate passed the gate" + (f" ({len(failed)} failed)" if failed else ""))
    blocked.sort(key=_best_first)
    return Selection(winner=winner, verdicts=passing + blocked, failed=failed, reasons=reasons)


def _best_first(v: Verdict) -> float:
    """Sort key: the best headline first, a candidate without one last."""
    return -(v.headline if v.headline is not None else -math.inf)


def _label(v: Verdict) -> str:
    return f"candidate {v.name!r}" if v.name else "the candidate"
