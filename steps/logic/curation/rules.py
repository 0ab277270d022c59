"""The curation rules: which interactions become rows, and how they are split (docs/curation.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

KeptFeedback = Literal["corrected", "up", "unrated"]
KEPT_FEEDBACK: tuple[KeptFeedback, ...] = ("corrected", "up", "unrated")


class CurationRules(BaseModel):
    """Selection and split settings; an interaction rated down without a correction is never kept."""

    model_config = ConfigDict(extra="forbid")

    keep_feedback: list[KeptFeedback] = Field(
        default_factory=lambda: list(KEPT_FEEDBACK),
        min_length=1,
        description="Feedback kinds kept: corrected (the correction is the expected answer), up, unrated.",
    )
    require_disagreement: bool = Field(
        default=False,
        description="Keep only interactions whose reference model answered differently from the response "
        "(normalized text or tool calls); interactions without a reference are dropped.",
    )
    max_per_intent: int | None = Field(
        default=None, ge=1, description="At most this many interactions per intent, drawn with the seed."
    )
    validation_fraction: float = Field(default=0.1, gt=0.0, lt=1.0)
    test_fraction: float = Field(
        default=0.1, ge=0.0, lt=1.0, description="0: no testing split (the test set comes from elsewhere)."
    )
    seed: int = Field(default=0, description="Seed of the per-intent sampling and of the split.")

    @model_validator(mode="after")
    def _fractions(self) -> CurationRules:
        if len(set(self.keep_feedback)) != len(self.keep_feedback):
            raise ValueError(f"keep_feedback lists a kind twice: {self.keep_feedback}")
        if self.validation_fraction + self.test_fraction >= 1.0:
            raise ValueError(
                f"validation_fraction + test_fraction must be below 1 to leave training rows, "
                f"got {self.validation_fraction} + {self.test_fraction}"
            )
        return self
