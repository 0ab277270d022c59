"""Component llmops-tracking: open the workflow's MLflow parent run, and finalize it on exit."""

from hera.workflows import ClusterWorkflowTemplate, Script

from components.common import ANNOTATIONS, LABELS, LOCKED_DOWN, SMALL, STEP_ENV, TRANSIENT, cwt_name
from components.images import STEPS_IMAGE
from steps.finalize import finalize
from steps.open_run import open_run

with ClusterWorkflowTemplate(name=cwt_name("tracking"), labels=LABELS, annotations=ANNOTATIONS) as cwt:
    Script(
        name="open-run",
        source=open_run,
        constructor="runner",
        image=STEPS_IMAGE,
        **LOCKED_DOWN,
        env=STEP_ENV,
        resources=SMALL,
        retry_strategy=TRANSIENT,
        active_deadline_seconds=600,
    )
    Script(
        name="finalize",
        source=finalize,
        constructor="runner",
        image=STEPS_IMAGE,
        **LOCKED_DOWN,
        env=STEP_ENV,
        resources=SMALL,
        retry_strategy=TRANSIENT,
        active_deadline_seconds=600,
    )
