"""Step benchmark: one regression benchmark (lm-evaluation-harness prompts and metrics) on one target.

The benchmark is a built-in one (gsm8k, squad, triviaqa) or any lm-evaluation-harness task; the
run-spec preflight checked the name (`steps.benchmark_names`). The output JSON carries the score
with n and stderr, and `items`: the per-item values behind it (`[{"id", "value"}]`, null where the
backend reports none), which the gate compares paired.
"""

import json
import tempfile
from pathlib import Path
from typing import Annotated

from hera.workflows import Output, Parameter

from steps import platforms
from steps.benchmark_keys import BenchmarkSettings, key_of
from steps.errors import InvalidInputError
from steps.io import Benchmark, TrackedInput
from steps.logic.candidates import step_name


class BenchmarkInput(TrackedInput, BenchmarkSettings):
    benchmark: Annotated[
        Benchmark,
        Parameter(description="Regression benchmark: gsm8k, squad, triviaqa or an lm-evaluation-harness task"),
    ]
    memo_key: Annotated[
        str, Parameter(description="Memoization key from benchmark-keys; must be the key of these inputs")
    ]


class BenchmarkOutput(Output):
    scores: Annotated[
        str,
        Parameter(
            name="scores",
            description="JSON score: benchmark, target, metric, score, stderr, n, items, source_run_id (the MLflow "
            "run that computed it)",
        ),
    ]


def identity(inputs: BenchmarkInput) -> dict[str, str]:
    """What a result says about the model it scores (the gate joins results on it)."""
    return inputs.model_dump(include={"target", "candidate", "base_model", "adapter_id"})


def benchmark(inputs: BenchmarkInput) -> BenchmarkOutput:
    if inputs.target != "base" and not inputs.adapter_id:
        raise InvalidInputError(f"benchmark: target {inputs.target!r} needs adapter_id")
    if inputs.memo_key != key_of(inputs, inputs.benchmark):  # else the result would be stored where others look
        raise InvalidInputError(
            f"benchmark: memo_key {inputs.memo_key!r} is not the key of this step's inputs; pass a memo_key that "
            "benchmark-keys computed for the same inputs"
        )
    platform = platforms.build()
    name = step_name(f"benchmark-{inputs.benchmark}-{inputs.target}", inputs.candidate)
    with platform.tracker.step_run(inputs.mlflow_run_id, name) as mlflow, tempfile.TemporaryDirectory() as out:
        score = platform.evaluator.run_benchmark(
            inputs.benchmark,
            inputs.benchmark_data,
            inputs.base_model,
            inputs.adapter_id,
            inputs.benchmark_limit or None,
            Path(out),
            num_fewshot=None if inputs.benchmark_fewshot < 0 else inputs.benchmark_fewshot,
        )
        mlflow.log_params(
            {
                "benchmark": inputs.benchmark,
                "target": inputs.target,
                "limit": inputs.benchmark_limit,
                "data": inputs.benchmark_data,
                "adapter_id": inputs.adapter_id,
            }
        )
        mlflow.log_metrics(
            {
                "score": score.score,
                "n": score.n,
                **{k.replace(",", "."): v for k, v in score.metrics.items() if isinstance(v, (int, float))},
            }
        )
        if score.samples_file:
            mlflow.log_artifact(score.samples_file, "samples")
        source_run_id = mlflow.active_run().info.run_id
    result = score.model_dump(exclude={"samples_file", "metrics", "items"}) | identity(inputs)
    result["source_run_id"] = source_run_id  # the run that computed it, also when a later run reuses it
    result["items"] = None if score.items is None else [{"id": i.id, "value": i.value} for i in score.items]
    print(f"{inputs.benchmark} [{inputs.target}] {score.metric} = {score.score:.4f} (n={score.n})")
    return BenchmarkOutput(scores=json.dumps(result, sort_keys=True))
