"""What an augmentation did: the generator, the rows considered, the paraphrases asked, kept and dropped."""

from __future__ import annotations

from pydantic import BaseModel, Field

from steps.logic.augmentation.filters import DropReason


class AugmentationReport(BaseModel):
    generator: dict[str, str | float | int]
    training_rows: int  # training rows before augmentation
    skipped_synthetic: int  # already synthetic: never paraphrased again
    skipped_no_text: int  # no user text to paraphrase
    capped: int  # paraphrases not asked because of max_rows
    asked: int
    kept: int
    dropped: dict[DropReason, int] = Field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        """Flat counts (MLflow metrics)."""
        counts = self.model_dump(exclude={"generator", "dropped"})
        return {**counts, **{f"dropped_{reason}": n for reason, n in sorted(self.dropped.items())}}

    def markdown(self) -> str:
        identity = ", ".join(f"{key} {value}" for key, value in self.generator.items() if value != "")
        lines = [
            "# Augmentation report",
            "",
            f"Generator: {identity}",
            "",
            "| stage | rows |",
            "| --- | --- |",
            f"| training rows | {self.training_rows} |",
            f"| skipped: already synthetic | {self.skipped_synthetic} |",
            f"| skipped: no user text | {self.skipped_no_text} |",
            f"| not asked (max_rows) | {self.capped} |",
            f"| paraphrases asked | {self.asked} |",
            *(f"| dropped: {reason.replace('_', ' ')} | {n} |" for reason, n in sorted(self.dropped.items())),
            f"| kept (synthetic training rows) | {self.kept} |",
        ]
        return "\n".join(lines) + "\n"
