"""Component llmops-gate: the release gate (pure policy over the evaluation results)."""

from hera.workflows import ClusterWorkflowTemplate, Script

from components.common import ANNOTATIONS, IMAGE, LABELS, LOCKED_DOWN, SMALL, STEP_ENV, TRANSIENT, cwt_name
from steps.gate import gate

with ClusterWorkflowTemplate(name=cwt_name("gate"), labels=LABELS, annotations=ANNOTATIONS) as cwt:
    Script(
        name="gate",
        source=gate,
        constructor="runner",
        image=IMAGE,
        **LOCKED_DOWN,
        env=STEP_ENV,
        resources=SMALL,
        retry_strategy=TRANSIENT,
        active_deadline_seconds=600,
    )
