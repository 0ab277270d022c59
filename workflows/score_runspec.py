"""`llmops score --run-spec FILE`: a prediction file scored with a run spec's metric list.

The data file has the run spec's dataset layout (`dataset.format`); its rows are converted and
anonymised as prepare-data does, so the metrics' templates see the same item fields as in a run. Each
prediction line is `{"id": ..., "prediction": "..."}` with the id of a data row (the id its converter
gives it, e.g. `id` in the chat layouts). A data row without a prediction is scored as an empty answer.
llm-judge metrics ask the judge named in the spec (key from `JUDGE_API_KEY`) and report, with the
scores, whether the judge's agreement with people lets the gate use them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from steps import judging
from steps.errors import InvalidInputError
from steps.logic.metrics import Sample, evaluate
from steps.logic.task_scoring import read_predictions
from steps.prepare_data import evaluation_rows
from workflows import runspec


def score_run_spec(spec_path: Path, data: Path, predictions: Path) -> tuple[dict[str, Any], int]:
    """`{"task": <run spec name>, "n", "metrics": {name: {"value", "stderr"}}}` and the count of unanswered rows."""
    spec = runspec.load(spec_path)
    rows = evaluation_rows(str(data), spec.dataset.format)
    ids = [str(row["id"]) for row in rows]
    answers = read_predictions(predictions, ids)
    samples = [Sample(output_text=answers.get(row_id, "")) for row_id in ids]
    metrics = spec.business_eval.metrics
    graded = judging.judge(metrics, rows, samples)
    result = evaluate(metrics, rows, samples, scorers=graded.scorers())
    scores: dict[str, dict[str, Any]] = {}
    for name, score in result.scores.items():
        entry: dict[str, Any] = {"value": score.value, "stderr": score.stderr}
        if score.failures:
            entry["failures"] = score.failures
        if name in graded.agreement:
            entry["judge_agreement"] = graded.agreement[name]["reason"]
        scores[name] = entry
    if not rows:
        raise InvalidInputError(f"{data}: no data rows")
    return {"task": spec.name, "n": len(rows), "metrics": scores}, len(rows) - len(answers)
