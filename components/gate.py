"""Component llmops-gate: the release gate (pure policy over the evaluation results)."""

from hera.workflows import ClusterWorkflowTemplate, Script

from components.common import ANNOTATIONS, LABELS, LOCKED_DOWN, SMALL, STEP_ENV, TRANSIENT, cwt_name
from components.images import STEPS_IMAGE
from steps.gate import gate

with ClusterWorkflowTemplate(name=cwt_name("gate"), labels=LABELS, annotations=ANNOTATIONS) as cwt:
    Script(
        name="gate",
        source=gate,
        constructor="runner",
        image=STEPS_IMAGE,
        **LOCKED_DOWN,
        env=STEP_ENV,
        resources=SMALL,
        retry_strategy=TRANSIENT,
        active_deadline_seconds=600,
    )
