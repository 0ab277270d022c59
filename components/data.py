"""Component llmops-data: prepare-data (validate, anonymise, split, upload)."""

from hera.workflows import ClusterWorkflowTemplate, Script

from components.common import ANNOTATIONS, LABELS, LOCKED_DOWN, MEDIUM, STEP_ENV, TRANSIENT, cwt_name
from components.images import STEPS_IMAGE
from steps.prepare_data import prepare_data

with ClusterWorkflowTemplate(name=cwt_name("data"), labels=LABELS, annotations=ANNOTATIONS) as cwt:
    Script(
        name="prepare-data",
        source=prepare_data,
        constructor="runner",
        image=STEPS_IMAGE,
        **LOCKED_DOWN,
        env=STEP_ENV,
        resources=MEDIUM,
        retry_strategy=TRANSIENT,
        active_deadline_seconds=3600,
    )
