"""Step benchmark-keys: the memoization key of each regression benchmark of one model.

The benchmark template is memoized on `benchmark-<key>` (components/evaluation.py). Argo's cache keys allow
only `[a-zA-Z0-9-]`, while model keys (a NeMo model name holds dots), adapter ids (slashes, `@`) and data
names (underscores) hold more, and a manifest cannot hash: so this step computes each key
(`steps.logic.memo_key`) and the evaluate DAG fans the benchmark step out over its output, each item a
benchmark and its key; the benchmark step checks that its key is the one of its own inputs. A key covers the
model (`base_model`, `model_key`: the exact base weights, `adapter_id`: one set of adapter weights on every
platform, see `steps.business_eval_key`), the benchmark and its data, item limit and few-shot setting, and
the llmops version; not the model's role (`target`, `candidate`), on which a score does not depend. The step also
logs the benchmark settings on the parent run, so a run whose benchmarks are all reused still records them.
"""

import json
from typing import Annotated

from hera.workflows import Output, Parameter

from steps import platforms, settings
from steps.errors import InvalidInputError
from steps.io import ROLE_FIELDS, ScoredModel, TrackedInput
from steps.logic.memo_key import memo_key

KIND = "benchmark"


class BenchmarkSettings(ScoredModel):
    """The inputs a benchmark's result depends on, but the benchmark itself (every one is part of its key)."""

    benchmark_limit: Annotated[int, Parameter(description="Items to score (0 = all)")]
    benchmark_data: Annotated[
        str,
        Parameter(
            description="Benchmark data: 'smoke' (synthetic sets built by the project) or the name "
            "of a folder under <workspace>/benchmarks holding the JSONL files"
        ),
    ]
    benchmark_fewshot: Annotated[int, Parameter(description="Few-shot examples (-1 = the task default)")]


class BenchmarkKeysInput(TrackedInput, BenchmarkSettings):
    benchmarks: Annotated[str, Parameter(description="JSON list of the benchmarks to run")]


class BenchmarkKeysOutput(Output):
    keys: Annotated[
        str, Parameter(name="keys", description='JSON list of {"benchmark", "memo_key"}, one per benchmark')
    ]


def key_of(given: BenchmarkSettings, benchmark: str) -> str:
    inputs = given.model_dump(mode="json", include=set(BenchmarkSettings.model_fields) - ROLE_FIELDS)
    return memo_key(KIND, {**inputs, "benchmark": benchmark, "llmops_version": settings.llmops_version()})


def benchmark_keys(inputs: BenchmarkKeysInput) -> BenchmarkKeysOutput:
    try:
        names = json.loads(inputs.benchmarks)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"benchmark-keys: benchmarks is not JSON ({exc})") from None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InvalidInputError(f"benchmark-keys: benchmarks must be a JSON list of names, got {inputs.benchmarks}")
    keys = [{"benchmark": name, "memo_key": key_of(inputs, name)} for name in names]
    # Logged here, not by each benchmark: a run whose benchmarks are all reused still records its settings.
    platforms.build().tracker.log_parent_params(
        inputs.mlflow_run_id, inputs.model_dump(include={"benchmark_limit", "benchmark_data", "benchmark_fewshot"})
    )
    return BenchmarkKeysOutput(keys=json.dumps(keys))
