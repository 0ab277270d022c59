"""Component llmops-evaluation: regression benchmarks, the business evaluation, and the drift check.

Benchmark results are memoized on everything that determines them, so the base model's scores
are computed once and reused by later runs. The drift check (`llmops-drift-check`, docs/flywheel.md) scores
the released champion on recent production traffic with the business evaluation's code.
"""

from hera.workflows import ClusterWorkflowTemplate, Script

from components.common import ANNOTATIONS, LABELS, LOCKED_DOWN, MEDIUM, STEP_ENV, TRANSIENT, cwt_name, memoize
from components.images import ML_IMAGE
from steps.benchmark import benchmark
from steps.business_eval import business_eval
from steps.drift_check import drift_check

# Argo accepts only [-._a-zA-Z0-9] in cache keys: every part is such a name, not a free path.
BENCHMARK_KEY = (
    "benchmark-{{inputs.parameters.benchmark}}-{{inputs.parameters.model_key}}-"
    "{{inputs.parameters.adapter_id}}-n{{inputs.parameters.benchmark_limit}}-{{inputs.parameters.benchmark_data}}-"
    "f{{inputs.parameters.benchmark_fewshot}}"
)

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
        name="business-eval",
        source=business_eval,
        constructor="runner",
        image=ML_IMAGE,
        **LOCKED_DOWN,
        env=STEP_ENV,
        resources=MEDIUM,
        retry_strategy=TRANSIENT,
        active_deadline_seconds=14400,
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
