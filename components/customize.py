"""Component llmops-customize: LoRA customization.

`customize` is a client of the platform's customizer (NeMo Customizer trains on its own GPUs, the
local platform trains in the pod). `customize-in-pod` is the same step scheduled onto a GPU node,
for clusters that train inside the workflow pod with the local platform.
"""

from hera.workflows import ClusterWorkflowTemplate, Env, Script

from components.common import (
    ANNOTATIONS,
    GPU,
    GPU_NODE_SELECTOR,
    GPU_TOLERATIONS,
    LABELS,
    LOCKED_DOWN,
    MEDIUM,
    STEP_ENV,
    TRANSIENT,
    cwt_name,
)
from components.images import ML_IMAGE
from steps.customize import customize

with ClusterWorkflowTemplate(name=cwt_name("customize"), labels=LABELS, annotations=ANNOTATIONS) as cwt:
    Script(
        name="customize",
        source=customize,
        constructor="runner",
        image=ML_IMAGE,
        **LOCKED_DOWN,
        env=STEP_ENV,
        resources=MEDIUM,
        retry_strategy=TRANSIENT,
        active_deadline_seconds=86400,
    )
    Script(
        name="customize-in-pod",
        source=customize,
        constructor="runner",
        image=ML_IMAGE,
        **LOCKED_DOWN,
        env=[e for e in STEP_ENV if e.name != "LLMOPS_PLATFORM"] + [Env(name="LLMOPS_PLATFORM", value="local")],
        resources=GPU,
        tolerations=GPU_TOLERATIONS,
        node_selector=GPU_NODE_SELECTOR,
        retry_strategy=TRANSIENT,
        active_deadline_seconds=86400,
    )
