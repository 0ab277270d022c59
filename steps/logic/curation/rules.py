"""The curation rules: which interactions become rows, and how they are split (docs/curation.md).

`CurationSelection` is what is kept; `CurationRules` adds the split. A run spec's `dataset.curation`
section (`CurationSection`) is the selection and the policy for invalid lines: its split comes from the
run spec's `dataset.split`, the one place a run's split is set (`CurationSection.rules`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from steps.logic.curation.parse import OnInvalid

KeptFeedback = Literal["corrected", "up", "unrated"]
KEPT_FEEDBACK: tuple[KeptFeedback, ...] = ("corrected", "up", "unrated")


class CurationSelection(BaseModel):
    """Which interactions are kept; an interaction rated down without a correction never is."""

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

    @field_validator("keep_feedback")
    @classmethod
    def _distinct(cls, kinds: list[KeptFeedback]) -> list[KeptFeedback]:
        if len(set(kinds)) != len(kinds):
            raise ValueError(f"keep_feedback lists a kind twice: {kinds}")
        return kinds


class CurationRules(CurationSelection):
    """Selection and split settings."""

    validation_fraction: float = Field(default=0.1, gt=0.0, lt=1.0)
    test_fraction: float = Field(
        default=0.1, ge=0.0, lt=1.0, description="0: no testing split (the test set comes from elsewhere)."
    )
    seed: int = Field(default=0, description="Seed of the per-intent sampling and of the split.")

    @model_validator(mode="after")
    def _fractions(self) -> CurationRules:
        if self.validation_fraction + self.test_fraction >= 1.0:
            raise ValueError(
                f"validation_fraction + test_fraction must be below 1 to leave training rows, "
                f"got {self.validation_fraction} + {self.test_fraction}"
            )
        return self


class CurationSection(CurationSelection):
    """A run spec's `dataset.curation` (format production-logs): the selection and what a bad line does."""

    on_invalid: OnInvalid = Field(
        default="fail",
        description="A malformed record: fail (refuse the batch, naming every bad line; nothing is stored) "
        "or skip (leave it out and list it in the curation report).",
    )

    def rules(self, validation_fraction: float, test_fraction: float, seed: int) -> CurationRules:
        """The curation rules with the run's split; a pydantic ValidationError when the split does not fit."""
        return CurationRules(
            **self.model_dump(exclude={"on_invalid"}),
            validation_fraction=validation_fraction,
            test_fraction=test_fraction,
            seed=seed,
        )
