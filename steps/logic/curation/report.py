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

    def markdown(self) -> str:
        """A short account for people: the source, the time window, each stage's counts, the splits."""
        window = (
            f"{self.first_timestamp.isoformat()} to {self.last_timestamp.isoformat()}"
            if self.first_timestamp and self.last_timestamp
            else "unknown (no timestamps)"
        )
        dropped = ", ".join(f"{reason} {n}" for reason, n in self.dropped_by_rule.items()) or "none"
        pii = ", ".join(f"{kind} {n}" for kind, n in self.pii_replacements.items() if n) or "none"
        rows = [
            ("records read", str(self.read)),
            (f"invalid (on_invalid: {self.on_invalid})", str(self.invalid)),
            ("valid", str(self.valid)),
            ("records with PII", f"{self.records_with_pii} ({pii})"),
            ("exact duplicates", str(self.exact_duplicates)),
            ("conflicting answers", f"{self.conflicting_answers} ({self.prompts_with_conflicts} prompts)"),
            ("dropped by the rules", dropped),
            ("kept", f"{self.kept} ({self.corrections_used} corrected, {self.synthetic} synthetic)"),
            ("rows per split", ", ".join(f"{name} {n}" for name, n in self.splits.items())),
        ]
        lines = [
            "# Curation report",
            "",
            f"Source: `{self.source}`; time window: {window}.",
            "",
            "| stage | count |",
            "|---|---|",
            *(f"| {stage} | {count} |" for stage, count in rows),
            "",
            "| intent | " + " | ".join(self.splits) + " |",
            "|---|" + "---|" * len(self.splits),
            *(
                f"| {intent} | " + " | ".join(str(n) for n in counts.values()) + " |"
                for intent, counts in self.intents.items()
            ),
        ]
        if self.invalid_lines:
            lines += [
                "",
                "Invalid lines (left out):",
                *(f"- line {r.line}: {r.reason}" for r in self.invalid_lines[:20]),
            ]
            if len(self.invalid_lines) > 20:
                lines.append(f"- ... and {len(self.invalid_lines) - 20} more (report.json lists them all)")
        return "\n".join(lines) + "\n"
