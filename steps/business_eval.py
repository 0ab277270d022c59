"""Step business-eval: task metrics on the held-out test split, for the base model or the candidate."""

import json
from typing import Annotated, Literal

from hera.workflows import Output, Parameter

from steps import platforms
from steps.contracts import TESTING_FILE
from steps.errors import InvalidInputError
from steps.io import Task, TrackedInput, choices
from steps.logic import bill_metrics
from steps.logic.formats import BILL_ANSWER_KEYS

HEADLINE = {"bill-json": "all_fields_exact", "bill-reason": "change_reason_balanced", "chat": "exact_match"}


class BusinessEvalInput(TrackedInput):
    target: Annotated[
        Literal["base", "candidate"], Parameter(description="Which model is scored", enum=["base", "candidate"])
    ]
    base_model: Annotated[str, Parameter(description="Base model id")]
    adapter_id: Annotated[str, Parameter(description="Adapter id; empty for the base model")] = ""
    dataset_uri: Annotated[str, Parameter(description="Dataset revision from prepare-data")]
    dataset_task: Annotated[Task, Parameter(description="Business task", enum=choices(Task))]
    business_limit: Annotated[int, Parameter(description="Test rows to score (0 = all)")]
    business_max_tokens: Annotated[int, Parameter(description="Generation budget per answer")]
    business_headline: Annotated[
        str, Parameter(description="Metric the gate compares (one the task computes); empty: the task's default")
    ]


class BusinessEvalOutput(Output):
    scores: Annotated[str, Parameter(name="scores", description="JSON: target, metric, score, stderr, n, metrics")]


def score(task: str, predictions: list[str], references: list[str]) -> tuple[dict[str, float], list[dict]]:
    """Metrics (each a fraction, with `<name>_stderr`) and per-row results for one task."""
    if task in BILL_ANSWER_KEYS:
        scores = bill_metrics.score_bill_predictions(predictions, references, BILL_ANSWER_KEYS[task])
        metrics = scores.metrics() | {f"{name}_stderr": err for name, err in scores.stderr.items()}
        return metrics, [row.model_dump() for row in scores.rows]
    hits = [p.strip() == r.strip() for p, r in zip(predictions, references, strict=False)]
    p = sum(hits) / len(hits)
    rows = [
        {"prediction": a, "reference": b, "exact_match": h}
        for a, b, h in zip(predictions, references, hits, strict=False)
    ]
    return {"exact_match": p, "exact_match_stderr": (p * (1 - p) / len(hits)) ** 0.5}, rows


def metric_names(task: str) -> tuple[str, ...]:
    """The metrics `score` computes for a task (each also comes with `<name>_stderr`)."""
    return bill_metrics.metric_names(BILL_ANSWER_KEYS[task]) if task in BILL_ANSWER_KEYS else ("exact_match",)


def headline_of(task: str, requested: str = "") -> str:
    """The headline metric: the requested one if the task computes it, else the task's default."""
    if not requested:
        return HEADLINE[task]
    available = metric_names(task)
    if requested not in available:
        raise InvalidInputError(
            f"business-eval: headline metric {requested!r} is not computed for task {task!r}; "
            f"choose one of: {', '.join(available)} (or leave it empty for {HEADLINE[task]!r})"
        )
    return requested


def business_eval(inputs: BusinessEvalInput) -> BusinessEvalOutput:
    platform = platforms.build()
    if inputs.target == "candidate" and not inputs.adapter_id:
        raise InvalidInputError("business-eval: target 'candidate' needs adapter_id")
    headline = headline_of(inputs.dataset_task, inputs.business_headline)  # before any inference
    rows = platform.datastore.read_jsonl(inputs.dataset_uri, TESTING_FILE)
    rows = rows[: inputs.business_limit] if inputs.business_limit else rows
    if not rows:
        raise InvalidInputError(f"business-eval: {inputs.dataset_uri} has no test rows")
    model = platform.inference.chat_model(inputs.base_model, inputs.adapter_id)
    replies = model.create_batch([r["messages"] for r in rows], max_tokens=inputs.business_max_tokens)
    predictions = [reply["choices"][0]["message"]["content"] for reply in replies]
    metrics, per_row = score(inputs.dataset_task, predictions, [r["reference"] for r in rows])
    with platform.tracker.step_run(inputs.mlflow_run_id, f"business-eval-{inputs.target}") as mlflow:
        mlflow.log_params(
            {
                "target": inputs.target,
                "task": inputs.dataset_task,
                "adapter_id": inputs.adapter_id,
                "n": len(rows),
                "headline": headline,
            }
        )
        mlflow.log_metrics(metrics)
        mlflow.log_dict(
            [r | {"record_id": s.get("record_id", "")} for r, s in zip(per_row, rows, strict=True)],
            f"eval/{inputs.target}_rows.json",
        )
    result = {
        "target": inputs.target,
        "metric": headline,
        "score": metrics[headline],
        "stderr": metrics.get(f"{headline}_stderr"),
        "n": len(rows),
        "metrics": metrics,
    }
    print(f"business [{inputs.target}] {headline} = {metrics[headline]:.4f} (n={len(rows)})")
    return BusinessEvalOutput(scores=json.dumps(result, sort_keys=True))
