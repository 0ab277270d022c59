"""The provenance of a curated dataset: what each stage did, under which rules, over which time window."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from steps.logic.curation.rules import CurationRules


class RejectedRecord(BaseModel):
    line: int
    reason: str


class CurationReport(BaseModel):
    """Counts per stage; `model_dump(mode="json")` is what gets logged (e.g. to MLflow)."""

    model_config = ConfigDict(extra="forbid")

    source: str
    rules: CurationRules
    on_invalid: str
    read: int  # non-blank lines
    invalid: int  # lines rejected (skip) — with fail there is no report
    invalid_lines: list[RejectedRecord]
    valid: int
    first_timestamp: datetime | None  # the time window of the valid records
    last_timestamp: datetime | None
    models: dict[str, int]  # valid records per answering model ("unknown" when the log does not say)
    pii_replacements: dict[str, int]  # occurrences replaced, per kind
    records_with_pii: int
    exact_duplicates: int
    conflicting_answers: int
    prompts_with_conflicts: int
    dropped_by_rule: dict[str, int]  # reason -> interactions (see selection.py)
    corrections_used: int  # rows whose expected answer is the user's correction
    kept: int
    synthetic: int  # kept rows marked synthetic (all in training)
    splits: dict[str, int]
    intents: dict[str, dict[str, int]]  # intent -> split -> rows
    pooled_intents: list[str]
    training_only_intents: list[str]

    def summary(self) -> dict[str, int]:
        """Flat numeric counts (metric name -> value), e.g. for MLflow metrics."""
        flat: dict[str, int] = {
            name: getattr(self, name)
            for name in ("read", "invalid", "valid", "records_with_pii", "exact_duplicates", "conflicting_answers")
        }
        flat |= {"corrections_used": self.corrections_used, "kept": self.kept, "synthetic": self.synthetic}
        flat |= {f"pii_{kind}": count for kind, count in self.pii_replacements.items()}
        flat |= {f"dropped_{reason}": count for reason, count in self.dropped_by_rule.items()}
        flat |= {f"rows_{split}": count for split, count in self.splits.items()}
        return flat
