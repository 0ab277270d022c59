"""Component llmops-evaluation: regression benchmarks, the business evaluation, and the drift check.

Benchmark and business-evaluation results are memoized on everything that determines them, so a model's
scores on the same data with the same settings are computed once and reused by later runs. A business
evaluation's key is a digest computed by `business-eval-key` (`steps.business_eval_key` lists its inputs), a
benchmark's by `benchmark-keys` (`steps.benchmark_keys`):
Argo's cache keys allow only `[a-zA-Z0-9-]` (first character alphanumeric), at most 253 characters, and
cannot be hashed inside a manifest. The drift check (`llmops-drift-check`, docs/flywheel.md) scores
the released champion on recent production traffic with the business evaluation's code.
"""

from hera.workflows import ClusterWorkflowTemplate, Script

from components.common import (
    ANNOTATIONS,
    LABELS,
    LOCKED_DOWN,
    MEDIUM,
    SMALL,
    STEP_ENV,
    TRANSIENT,
    cwt_name,
    memoize,
)
from components.images import ML_IMAGE, STEPS_IMAGE
from steps.benchmark import benchmark
from steps.benchmark_keys import benchmark_keys
from steps.business_eval import business_eval
from steps.business_eval_key import business_eval_key
from steps.drift_check import drift_check

BENCHMARK_KEY = "benchmark-{{inputs.parameters.memo_key}}"  # memo_key: 64 hex from benchmark-keys, checked
BUSINESS_KEY = "business-eval-{{inputs.parameters.memo_key}}"  # memo_key: 64 hex, checked by the step

with ClusterWorkflowTemplate(name=cwt_name("evaluation"), labels=LABELS, annotations=ANNOTATIONS) as cwt:
    Script(
        name="benchmark",
        source=benchmark,
        constructor="runner",
        image=ML_IMAGE,
        **LOCKED_DOWN,
        env=STEP_ENV,
        resources=MEDIUM,
        retry_strategy=TRANSIENT,
        active_deadline_seconds=14400,
        memoize=memoize(BENCHMARK_KEY),
    )
    Script(
        name="benchmark-keys",
        source=benchmark_keys,
        constructor="runner",
        image=STEPS_IMAGE,
        **LOCKED_DOWN,
        env=STEP_ENV,
        resources=SMALL,
        retry_strategy=TRANSIENT,
        active_deadline_seconds=600,
    )
    Script(
        name="business-eval-key",
        source=business_eval_key,
        constructor="runner",
        image=STEPS_IMAGE,
        **LOCKED_DOWN,
        env=STEP_ENV,
        resources=SMALL,
        retry_strategy=TRANSIENT,
        active_deadline_seconds=600,
    )
    Script(
        name="business-eval",
        source=business_eval,
        constructor="runner",
        image=ML_IMAGE,
        **LOCKED_DOWN,
        env=STEP_ENV,
        resources=MEDIUM,
        retry_strategy=TRANSIENT,
        active_deadline_seconds=14400,
        memoize=memoize(BUSINESS_KEY),
    )
    Script(
        name="drift-check",
        source=drift_check,
        constructor="runner",
        image=ML_IMAGE,
        **LOCKED_DOWN,
        env=STEP_ENV,
        resources=MEDIUM,
        retry_strategy=TRANSIENT,
        active_deadline_seconds=7200,
    )
