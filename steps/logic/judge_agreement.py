"""How far a judge agrees with people: the calibration file and Cohen's kappa, accuracy, confusion matrix.

Calibration file: JSONL, one human-labelled judgement per line:

    {"id": "q17", "criterion": "correctness", "question": "What is 2+2?", "reference": "4",
     "prediction": "Four.", "label": 5}

- `id` (string or integer): the item; unique per criterion.
- `criterion`: `correctness`, `relevance` or `fluency`. One file may hold several criteria.
- `messages` (OpenAI chat messages, the conversation the model answered) or `question` (a string, read as
  one user message): exactly one of them.
- `reference`: the reference answer; `prediction`: the answer the person graded.
- `label`: the person's integer score on the judge metric's scale (checked against it when used).
Other fields are kept and ignored. Every bad line is reported at once, as `file:line: field: message`.

Agreement: items the judge could not score (no usable answer) are counted, listed and left out. Kappa is
Cohen's unweighted kappa; the quadratic-weighted kappa is reported as well for ordinal scales (it forgives
near misses). The gate uses the unweighted kappa: it is the statistic the run spec's minimum names, and
the stricter one. The implementation is the textbook formula, checked against scikit-learn in the tests
(importing scikit-learn would pull scipy into a pure module for ten lines of arithmetic).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator, model_validator

from steps.errors import InvalidInputError
from steps.logic.judge_rubrics import Criterion, Scale

MAX_ERRORS_SHOWN = 20


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "user", "assistant", "tool"]
    content: Any = None


class CalibrationRow(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1)
    criterion: Criterion
    messages: list[ChatMessage] | None = Field(default=None, min_length=1)
    question: str | None = Field(default=None, min_length=1)
    reference: str
    prediction: str
    label: StrictInt
    line: int = Field(default=0, exclude=True)  # where it came from, for error messages

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _one_question(self) -> CalibrationRow:
        if (self.messages is None) == (self.question is None):
            raise ValueError("give exactly one of 'messages' (chat messages) or 'question' (a string)")
        return self

    def conversation(self) -> list[dict[str, Any]]:
        """The conversation the graded answer replies to, as chat messages."""
        if self.messages is not None:
            return [m.model_dump(exclude_none=True) for m in self.messages]
        return [{"role": "user", "content": self.question}]


def _report(source: str, errors: list[str], what: str) -> InvalidInputError:
    shown = errors[:MAX_ERRORS_SHOWN]
    more = f"\n... and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
    return InvalidInputError(
        f"{source}: {len(errors)} problem(s) in {what}:\n" + "\n".join(shown) + more + "\nFix these rows and run again."
    )


def read_calibration(lines: Iterable[str], source: str) -> list[CalibrationRow]:
    """Validate a calibration JSONL file's lines; one InvalidInputError lists every problem with its line."""
    rows: list[CalibrationRow] = []
    errors: list[str] = []
    first: dict[tuple[str, str], int] = {}
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            raw = json.loads(text)
        except ValueError as exc:
            errors.append(f"{source}:{number}: (line): not valid JSON ({exc})")
            continue
        if not isinstance(raw, dict):
            errors.append(f"{source}:{number}: (line): expected a JSON object, got {type(raw).__name__}")
            continue
        try:
            row = CalibrationRow.model_validate({**raw, "line": number})
        except ValidationError as error:
            for item in error.errors(include_url=False):
                where = ".".join(str(part) for part in item["loc"]) or "(row)"
                errors.append(f"{source}:{number}: {where}: {item['msg']}")
            continue
        key = (row.criterion, row.id)
        if key in first:
            errors.append(
                f"{source}:{number}: id: duplicate {row.id!r} for {row.criterion} (first on line {first[key]})"
            )
            continue
        first[key] = number
        rows.append(row)
    if not rows and not errors:
        errors.append(f"{source}: no labelled rows; the file is empty")
    if errors:
        raise _report(source, errors, "the judge calibration file")
    return rows


def rows_for(rows: Sequence[CalibrationRow], criterion: str, scale: Scale, source: str) -> list[CalibrationRow]:
    """The rows of one criterion, every label checked against the judge metric's scale."""
    chosen = [row for row in rows if row.criterion == criterion]
    if not chosen:
        raise InvalidInputError(f"{source}: no labelled rows for criterion {criterion!r}; add some or drop it.")
    errors = [
        f"{source}:{row.line}: label: {row.label} is outside the judge scale {scale}"
        for row in chosen
        if not scale.min <= row.label <= scale.max
    ]
    if errors:
        raise _report(source, errors, f"the {criterion} labels")
    return chosen


@dataclass(frozen=True)
class Agreement:
    """Judge vs people on the same items; `kappa`/`weighted_kappa` are None when undefined (see `explain`)."""

    labels: list[int]  # the scale's values: rows and columns of `confusion`
    confusion: list[list[int]]  # confusion[human][judge], counts
    n: int  # items both scored
    failed_ids: list[str] = field(default_factory=list)  # items the judge could not score (left out)
    kappa: float | None = None
    weighted_kappa: float | None = None  # quadratic weights
    accuracy: float | None = None

    def meets(self, min_kappa: float) -> bool:
        """Whether the judge may count: Cohen's (unweighted) kappa is defined and at least `min_kappa`."""
        return self.kappa is not None and self.kappa >= min_kappa

    def explain(self, min_kappa: float) -> str:
        """One sentence: the agreement, and why the judge metric may or may not be used."""
        failed = f"; {len(self.failed_ids)} item(s) the judge could not score were left out" if self.failed_ids else ""
        if self.n == 0:
            return f"judge agreement unknown: no calibration item was scored by the judge{failed}"
        if self.kappa is None:
            return (
                f"judge agreement unknown on {self.n} items: Cohen's kappa is undefined because people and judge "
                f"used one and the same score for every item; label items across the scale{failed}"
            )
        verdict = "meets" if self.meets(min_kappa) else "is below"
        return (
            f"judge agreement with people on {self.n} items: Cohen's kappa {self.kappa:.3f} {verdict} the minimum "
            f"{min_kappa:.3f} (accuracy {self.accuracy:.3f}){failed}"
        )

    def as_metrics(self) -> dict[str, float]:
        """Flat numbers for the tracker (undefined statistics left out)."""
        out = {"n": float(self.n), "failed": float(len(self.failed_ids))}
        for name in ("kappa", "weighted_kappa", "accuracy"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


def _kappa(confusion: list[list[int]], n: int, weight: Any) -> float | None:
    k = len(confusion)
    rows = [sum(confusion[i]) for i in range(k)]
    cols = [sum(confusion[i][j] for i in range(k)) for j in range(k)]
    observed = sum(weight(i, j) * confusion[i][j] for i in range(k) for j in range(k)) / n
    expected = sum(weight(i, j) * rows[i] * cols[j] for i in range(k) for j in range(k)) / (n * n)
    return None if expected == 0 else 1.0 - observed / expected


def compute_agreement(pairs: Sequence[tuple[str, int, int | None]], scale: Scale) -> Agreement:
    """Agreement from (item id, human label, judge score or None when the judge failed) on `scale`."""
    labels = scale.values
    index = {value: i for i, value in enumerate(labels)}
    confusion = [[0] * len(labels) for _ in labels]
    failed: list[str] = []
    for item_id, human, judged in pairs:
        for who, value in (("human label", human), ("judge score", judged)):
            if value is not None and value not in index:
                raise ValueError(f"item {item_id!r}: {who} {value} is outside the scale {scale}")
        if judged is None:
            failed.append(item_id)
            continue
        confusion[index[human]][index[judged]] += 1
    n = len(pairs) - len(failed)
    if n == 0:
        return Agreement(labels, confusion, 0, failed)
    span = (len(labels) - 1) ** 2
    return Agreement(
        labels,
        confusion,
        n,
        failed,
        kappa=_kappa(confusion, n, lambda i, j: float(i != j)),
        weighted_kappa=_kappa(confusion, n, lambda i, j: (i - j) ** 2 / span),
        accuracy=sum(confusion[i][i] for i in range(len(labels))) / n,
    )
