"""Business metrics of the bill-json task: JSON validity and per-field accuracy against references.

A prediction counts as valid JSON when, after stripping whitespace and an optional ```json fence, it
parses as a JSON object. Fields are compared as strings after `strip()`; `bill_found` is normalised
(true/True/"true"/"TRUE" -> "true"). Every fraction carries its standard error sqrt(p(1-p)/n).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from pydantic import BaseModel

from steps.errors import InvalidInputError

FIELDS = ("bill_found", "bill_id", "bill_date")
METRICS = ("valid_json", *FIELDS, "all_fields_exact")
_FENCE = re.compile(r"^```(?:json|JSON)?[ \t]*\n?(.*?)\n?```$", re.DOTALL)


class BillRowResult(BaseModel):
    index: int
    prediction: str
    reference: str
    valid_json: bool
    bill_found: bool
    bill_id: bool
    bill_date: bool
    all_fields_exact: bool


class BillScores(BaseModel):
    n: int
    valid_json: float
    bill_found: float
    bill_id: float
    bill_date: float
    all_fields_exact: float
    stderr: dict[str, float]
    rows: list[BillRowResult]

    def metrics(self) -> dict[str, float]:
        """Metric name -> value, for MLflow."""
        return {name: getattr(self, name) for name in METRICS}


def parse_answer(text: str) -> dict[str, Any] | None:
    """The JSON object in a model answer (bare or inside a ```json fence), or None."""
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1).strip()
    try:
        value = json.loads(body)
    except (json.JSONDecodeError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _normalise(field: str, value: Any) -> str | None:
    if value is None:
        return None
    if field == "bill_found":
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value).strip().lower()
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value).strip()


def stderr_of(p: float, n: int) -> float:
    return math.sqrt(p * (1.0 - p) / n) if n > 0 else 0.0


def score_bill_predictions(predictions: list[str], references: list[str]) -> BillScores:
    """Score predictions row by row against canonical reference answers (same order, same length)."""
    if len(predictions) != len(references):
        raise InvalidInputError(
            f"got {len(predictions)} predictions for {len(references)} references; they must pair up row by row"
        )
    if not predictions:
        raise InvalidInputError("no predictions to score (n=0); the evaluation set is empty")
    rows: list[BillRowResult] = []
    for index, (prediction, reference) in enumerate(zip(predictions, references)):
        gold = parse_answer(reference)
        if gold is None:
            raise InvalidInputError(f"reference {index} is not a JSON object: {reference!r}")
        parsed = parse_answer(prediction)
        hits = {
            field: parsed is not None
            and field in parsed
            and _normalise(field, parsed[field]) == _normalise(field, gold.get(field))
            for field in FIELDS
        }
        rows.append(BillRowResult(
            index=index,
            prediction=prediction,
            reference=reference,
            valid_json=parsed is not None,
            all_fields_exact=all(hits.values()),
            **hits,
        ))
    n = len(rows)
    values = {name: sum(getattr(row, name) for row in rows) / n for name in METRICS}
    return BillScores(n=n, stderr={name: stderr_of(v, n) for name, v in values.items()}, rows=rows, **values)
