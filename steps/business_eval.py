"""Step business-eval: the run spec's metrics on the held-out test split, for the base model or the candidate.

The metrics are data (`business_eval.metrics` of the run spec, `steps/logic/metrics`): the same list
means the same thing on every platform, and `llmops score --run-spec` computes it from a file of
predictions with the same code. Test rows that offer `tools` are sent with them, and the replies' tool
calls are what a `tool-calling` metric scores.
"""

import json
from typing import Annotated, Any

from hera.workflows import Output, Parameter

from steps import judging, platforms
from steps.business_eval_key import BusinessEvalSettings, key_of
from steps.contracts import TESTING_FILE, Inference
from steps.errors import InvalidInputError
from steps.io import TrackedInput
from steps.logic import metrics as metric_engine
from steps.logic.candidates import step_name
from steps.logic.evaluation_rows import evaluation_table, sample_of


class BusinessEvalInput(TrackedInput, BusinessEvalSettings):
    memo_key: Annotated[
        str, Parameter(description="Memoization key from business-eval-key; must be the key of these inputs")
    ]


class BusinessEvalOutput(Output):
    scores: Annotated[
        str,
        Parameter(
            name="scores",
            description="JSON: target, metric, score, stderr, n, metrics, items, other_scores, source_run_id (the "
            "MLflow run that computed it: an earlier run's when the result was memoized)",
        ),
    ]


def score_rows(
    inference: Inference,
    specs: list[metric_engine.MetricSpec],
    rows: list[dict],
    base_model: str,
    adapter_id: str,
    max_tokens: int,
) -> tuple[metric_engine.EvaluationResult, judging.Judging]:
    """The model's answers to the rows (through the inference port), scored by the metrics and the judge."""
    model = inference.chat_model(base_model, adapter_id)
    # Rows that offer tools send them with the request (OpenAI `tools`); the replies' tool calls reach the
    # metrics as `sample.tool_calls`. Without tools the request is the same as before.
    offered = [row.get("tools") for row in rows] if any(row.get("tools") for row in rows) else None
    conversations = [row["messages"] for row in rows]
    replies = model.create_batch(conversations, max_tokens=max_tokens, tools=offered)
    samples = [metric_engine.Sample.model_validate(sample_of(reply)) for reply in replies]
    graded = judging.judge(specs, rows, samples)  # the llm-judge metrics' grades (none without such a metric)
    return metric_engine.evaluate(specs, rows, samples, scorers=graded.scorers()), graded


def score_values(result: metric_engine.EvaluationResult) -> dict[str, float]:
    """Every score's value and stderr, and its failures when there are some (MLflow metrics)."""
    values: dict[str, float] = {}
    for name, score in result.scores.items():
        if score.value is not None and score.stderr is not None:
            values[name] = score.value
            values[f"{name}_stderr"] = score.stderr
        if score.failures:
            values[f"{name}_failures"] = len(score.failures)
    return values


def business_eval(inputs: BusinessEvalInput) -> BusinessEvalOutput:
    platform = platforms.build()
    if inputs.target != "base" and not inputs.adapter_id:
        raise InvalidInputError(f"business-eval: target {inputs.target!r} needs adapter_id")
    if inputs.memo_key != key_of(inputs):  # a key of other inputs would store this result where they look for it
        raise InvalidInputError(
            f"business-eval: memo_key {inputs.memo_key!r} is not the key of this step's inputs; pass the memo_key "
            "output of a business-eval-key task given the same inputs"
        )
    specs = metric_engine.parse_metric_specs(json.loads(inputs.business_metrics), "business_metrics")
    headline = metric_engine.headline_of(specs, inputs.business_headline)  # before any inference
    rows = platform.datastore.read_jsonl(inputs.dataset_uri, TESTING_FILE)
    rows = rows[: inputs.business_limit] if inputs.business_limit else rows
    if not rows:
        raise InvalidInputError(f"business-eval: {inputs.dataset_uri} has no test rows")
    missing = metric_engine.missing_fields(specs, rows)
    if missing:
        raise InvalidInputError(
            f"business-eval: the test rows of {inputs.dataset_uri} lack fields the metrics read: "
            + "; ".join(f"{name}: {', '.join(fields)}" for name, fields in missing.items())
        )
    result, graded = score_rows(
        platform.inference, specs, rows, inputs.base_model, inputs.adapter_id, inputs.business_max_tokens
    )
    values = score_values(result)
    top = result.scores[headline]
    if top.value is None:
        raise InvalidInputError(f"business-eval: no item could be scored on the headline {headline}")
    step = step_name(f"business-eval-{inputs.target}", inputs.candidate)
    with platform.tracker.step_run(inputs.mlflow_run_id, step) as mlflow:
        mlflow.log_params(
            {
                "target": inputs.target,
                "adapter_id": inputs.adapter_id,
                "n": len(rows),
                "headline": headline,
                "metrics": inputs.business_metrics,
                **graded.params,
            }
        )
        mlflow.log_metrics(values)
        for name, agreement in graded.agreement.items():
            mlflow.log_metrics({f"{name}.agreement.{k}": v for k, v in agreement.items() if isinstance(v, float)})
        if graded.agreement:
            mlflow.log_dict(graded.agreement, f"eval/{inputs.target}_judge_agreement.json")
        mlflow.log_table(evaluation_table(result.rows), artifact_file=f"eval/{inputs.target}_items.json")
        source_run_id = mlflow.active_run().info.run_id
    output: dict[str, Any] = {
        **inputs.model_dump(include={"target", "candidate", "base_model", "adapter_id"}),
        "metric": headline,
        "score": top.value,
        "stderr": top.stderr,
        "n": top.n,
        "metrics": values,
        "items": [item.model_dump(exclude_none=True) for item in top.items],
        "other_scores": {  # what the gate shows, or holds to gate.max_business_regression (no per-item values)
            name: {"score": score.value, "stderr": score.stderr, "n": score.n}
            for name, score in result.scores.items()
            if name != headline and score.value is not None
        },
        "judge_agreement": {name: {"meets": a["meets"], "reason": a["reason"]} for name, a in graded.agreement.items()},
        "source_run_id": source_run_id,
    }
    print(f"business [{inputs.target}] {headline} = {top.value:.4f} (n={top.n})")
    return BusinessEvalOutput(scores=json.dumps(output, sort_keys=True))
