"""Score a list of metric specs over dataset items and the model's samples.

Every score keeps its per-item values (keyed by the item's `id`) for the paired comparison of base and
candidate; its value is `item_scores.aggregate` of them (the mean, or the macro mean over strata) and
its stderr `item_scores.stderr`. An item whose score could not be computed (None, e.g. a judge that gave
no usable answer) is left out of the value and n and listed in `failures`. The rows are the per-item
table (input, prediction, the reference fields the templates used, every score) for MLflow.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from steps.errors import InvalidInputError
from steps.logic.item_scores import ItemValue, aggregate, stderr
from steps.logic.metrics.registry import SCORERS, Scorer, item_fields, score_names
from steps.logic.metrics.spec_base import MetricSpecBase, RowContext, Sample


class ScoreResult(BaseModel):
    """One score over all items. `value` and `stderr` are None when no item could be scored."""

    name: str  # <metric name>.<score name>
    value: float | None
    stderr: float | None
    n: int  # items scored (failures excluded)
    items: list[ItemValue]
    failures: list[str] = Field(default_factory=list)  # ids of the items that could not be scored


class EvaluationResult(BaseModel):
    scores: dict[str, ScoreResult]  # full score name -> result, in the specs' order
    rows: list[dict[str, Any]]  # one per item: id, input, prediction, reference, each score's value

    def values(self) -> dict[str, float]:
        """Full score name -> value, for every score that has one (for MLflow metrics)."""
        return {name: score.value for name, score in self.scores.items() if score.value is not None}


def _item_ids(items: Sequence[Mapping[str, Any]]) -> list[str]:
    ids = []
    for index, item in enumerate(items):
        raw = item.get("id")
        if raw is None or str(raw) == "":
            raise InvalidInputError(f"item {index} has no `id`; every dataset row needs one to pair up scores")
        ids.append(str(raw))
    repeated = sorted(item_id for item_id, count in Counter(ids).items() if count > 1)
    if repeated:
        raise InvalidInputError(f"item ids {repeated[:10]} occur more than once; every row needs its own id")
    return ids


def _sample(item_id: str, raw: Sample | Mapping[str, Any]) -> Sample:
    if isinstance(raw, Sample):
        return raw
    try:
        return Sample.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInputError(
            f"the sample of row {item_id!r} is not {{output_text, tool_calls, response}}: {exc}"
        ) from exc


def _check_inputs(specs: Sequence[MetricSpecBase], items: Sequence[Mapping[str, Any]], samples: Sequence[Any]) -> None:
    if not specs:
        raise InvalidInputError("no metrics to compute; list at least one under evaluation.metrics")
    if not items:
        raise InvalidInputError("no items to score (n=0); the evaluation set is empty")
    if len(items) != len(samples):
        raise InvalidInputError(f"got {len(samples)} samples for {len(items)} items; they must pair up row by row")
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise InvalidInputError(f"metric names {names} repeat; give each metric its own name")


def evaluate(
    specs: Sequence[MetricSpecBase],
    items: Sequence[Mapping[str, Any]],
    samples: Sequence[Sample | Mapping[str, Any]],
    scorers: Mapping[str, Scorer] | None = None,
) -> EvaluationResult:
    """Score every item's sample with every metric. `scorers` adds or replaces scorers by metric type."""
    _check_inputs(specs, items, samples)
    table = {**SCORERS, **(scorers or {})}
    for spec in specs:
        if spec.type not in table:
            raise InvalidInputError(f"metric {spec.name!r}: no scorer for type {spec.type!r}")
    ids = _item_ids(items)
    reference_fields = sorted(set().union(*(item_fields(spec) for spec in specs)))
    values: dict[str, list[ItemValue]] = {name: [] for spec in specs for name in score_names(spec)}
    failures: dict[str, list[str]] = {name: [] for name in values}
    rows: list[dict[str, Any]] = []
    for item_id, item, raw_sample in zip(ids, items, samples, strict=True):
        sample = _sample(item_id, raw_sample)
        context = RowContext(row_id=item_id, item=dict(item), sample=sample.model_dump())
        row: dict[str, Any] = {
            "id": item_id,
            "input": item.get("messages"),
            "prediction": {"output_text": sample.output_text, "tool_calls": sample.tool_calls},
            "reference": {field: item.get(field) for field in reference_fields},
        }
        for spec in specs:
            scores = table[spec.type](spec, context)
            if set(scores) != set(spec.scores()):
                raise InvalidInputError(
                    f"metric {spec.name!r}: its scorer gave scores {sorted(scores)}, expected {list(spec.scores())}"
                )
            for short, full in zip(spec.scores(), score_names(spec), strict=True):
                score = scores[short]
                row[full] = score.value
                if score.detail is not None:
                    row[f"{full}.detail"] = score.detail
                if score.value is None:
                    failures[full].append(item_id)
                else:
                    values[full].append(ItemValue(id=item_id, value=score.value, stratum=score.stratum))
        rows.append(row)
    results = {
        name: ScoreResult(
            name=name,
            value=aggregate(scored) if scored else None,
            stderr=stderr(scored) if scored else None,
            n=len(scored),
            items=scored,
            failures=failures[name],
        )
        for name, scored in values.items()
    }
    return EvaluationResult(scores=results, rows=rows)
