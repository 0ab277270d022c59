"""`llm-judge`: another model grades each answer against the reference on the rubric's criteria.

`{name, type: llm-judge, judge: {url, model}, criteria: [correctness, relevance, fluency], scale: {min, max},
reference, candidate, calibration: {labels, min_kappa}}`. One score per criterion, the judge's integer
score normalised to 0-1. The judge's API key never appears here: it comes from the environment
(`JUDGE_API_KEY`, a Kubernetes Secret on a cluster); see docs/judge.md.

The judge is a service, so this type has no scorer in `SCORERS`: the step that owns the judge client
grades the items and passes a scorer to `evaluate` (`steps/judging.py`). An answer the judge could not
grade is a failure of that item (reported with it), never a 0. The gate uses a judge score only when the
judge's agreement with people on `calibration.labels` reaches `calibration.min_kappa` (Cohen's kappa).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from steps.logic.judge_rubrics import CRITERIA, LIKERT_5, Criterion, Scale
from steps.logic.metrics.spec_base import DEFAULT_CANDIDATE, MetricSpecBase


class JudgeModel(BaseModel):
    """An OpenAI-compatible chat-completions endpoint (NIM, vLLM, a gateway) and the model to ask."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(pattern=r"^https?://\S+$", description="Base URL, e.g. http://judge-nim:8000/v1")
    model: str = Field(min_length=1)
    max_tokens: int = Field(default=512, ge=16)
    timeout_s: float = Field(default=60.0, gt=0)
    attempts: int = Field(default=4, ge=1, le=10)
    concurrency: int = Field(default=4, ge=1, le=64)


class Calibration(BaseModel):
    """People's labels on a few items (docs/judge.md) and the agreement the gate asks of the judge."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    labels: str = Field(min_length=1, description="JSONL of human labels, relative to the project")
    min_kappa: float = Field(ge=-1, le=1, description="Smallest Cohen's kappa at which the gate uses the judge")


class LlmJudgeSpec(MetricSpecBase):
    type: Literal["llm-judge"]
    judge: JudgeModel
    criteria: list[Criterion] = Field(default_factory=lambda: list(CRITERIA), min_length=1)
    scale: Scale = LIKERT_5
    reference: str = "{{item.reference}}"
    candidate: str = DEFAULT_CANDIDATE
    calibration: Calibration | None = None

    @field_validator("criteria")
    @classmethod
    def _unique(cls, value: list[Criterion]) -> list[Criterion]:
        if len(set(value)) != len(value):
            raise ValueError("criteria must not repeat")
        return value

    def templates(self) -> dict[str, str]:
        return {"reference": self.reference, "candidate": self.candidate}

    def scores(self) -> tuple[str, ...]:
        return tuple(self.criteria)
