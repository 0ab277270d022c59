"""The billing example's metrics as code, before they became data (json-fields): kept as a test oracle.

JSON validity and per-field accuracy against references.

A prediction counts as valid JSON when, after stripping whitespace and an optional ```json fence, it
parses as a JSON object. Fields are compared as strings after `strip()`; `bill_found` is normalised
(true/True/"true"/"TRUE" -> "true"). Every fraction carries its standard error sqrt(p(1-p)/n).

`change_reason_balanced` is the balanced accuracy of `change_reason`: the mean over the reference
classes of the share of that class's rows answered right. Answering the majority class everywhere
scores 1/classes on it, whereas plain accuracy would reward it with the majority's share.
Its standard error is sqrt(sum_k p_k(1-p_k)/n_k) / classes.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from pydantic import BaseModel

from steps.errors import InvalidInputError

FIELDS = ("bill_found", "bill_id", "bill_date", "change_reason")
_FENCE = re.compile(r"^```(?:json|JSON)?[ \t]*\n?(.*?)\n?```$", re.DOTALL)


def metric_names(fields: tuple[str, ...] = FIELDS) -> tuple[str, ...]:
    """The metrics scored when the answers carry `fields`."""
    balanced = ("change_reason_balanced",) if "change_reason" in fields else ()
    return ("valid_json", *fields, "all_fields_exact", *balanced)


class BillRowResult(BaseModel):
    index: int
    prediction: str
    reference: str
    valid_json: bool
    fields: dict[str, bool]  # scored field -> correct
    all_fields_exact: bool


class BillScores(BaseModel):
    n: int
    values: dict[str, float]  # metric -> fraction, for every name in metric_names(fields)
    stderr: dict[str, float]
    rows: list[BillRowResult]

    def metrics(self) -> dict[str, float]:
        """Metric name -> value, for MLflow."""
        return dict(self.values)


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


def score_bill_predictions(
    predictions: list[str], references: list[str], fields: tuple[str, ...] = FIELDS
) -> BillScores:
    """Score predictions row by row against canonical reference answers (same order, same length)."""
    unknown = set(fields) - set(FIELDS)
    if not fields or unknown:
        raise InvalidInputError(f"bill fields must be a non-empty subset of {FIELDS}, got {fields}")
    if len(predictions) != len(references):
        raise InvalidInputError(
            f"got {len(predictions)} predictions for {len(references)} references; they must pair up row by row"
        )
    if not predictions:
        raise InvalidInputError("no predictions to score (n=0); the evaluation set is empty")
    rows: list[BillRowResult] = []
    classes: dict[str, list[bool]] = {}
    for index, (prediction, reference) in enumerate(zip(predictions, references, strict=True)):
        gold = parse_answer(reference)
        if gold is None:
            raise InvalidInputError(f"reference {index} is not a JSON object: {reference!r}")
        parsed = parse_answer(prediction)
        hits = {
            field: parsed is not None
            and field in parsed
            and _normalise(field, parsed[field]) == _normalise(field, gold.get(field))
            for field in fields
        }
        if "change_reason" in fields:
            classes.setdefault(str(_normalise("change_reason", gold.get("change_reason"))), []).append(
                hits["change_reason"]
            )
        rows.append(
            BillRowResult(
                index=index,
                prediction=prediction,
                reference=reference,
                valid_json=parsed is not None,
                fields=hits,
                all_fields_exact=all(hits.values()),
            )
        )
    n = len(rows)
    values = {"valid_json": sum(row.valid_json for row in rows) / n}
    values |= {field: sum(row.fields[field] for row in rows) / n for field in fields}
    values["all_fields_exact"] = sum(row.all_fields_exact for row in rows) / n
    errors = {name: stderr_of(v, n) for name, v in values.items()}
    if classes:
        recalls = {name: sum(hits) / len(hits) for name, hits in classes.items()}
        values["change_reason_balanced"] = sum(recalls.values()) / len(recalls)
        errors["change_reason_balanced"] = math.sqrt(
            sum(stderr_of(p, len(classes[name])) ** 2 for name, p in recalls.items())
        ) / len(recalls)
    return BillScores(n=n, values=values, stderr=errors, rows=rows)
