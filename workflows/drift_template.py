"""WorkflowTemplate `llmops-drift-check`: score the champion on recent traffic; start a run when it drifted.

check (llmops-evaluation's drift-check step) ── submit-run (only when check says drifted: a `resource` template
that creates the Workflow given as `pipeline_workflow`)

A flywheel's drift CronWorkflow (`workflows.flywheel_render.drift_cron_workflow`) runs this template with the
run spec's arguments and, as `pipeline_workflow`, the run spec's own Workflow with `trigger: drift` (the one a
schedule would submit), so a drifted champion starts the same pipeline run any trigger starts. The created run
is not owned by the check (its history limits never delete a run), and submit-run has no output parameter
(reading one back would need `get` on Workflows). submit-run alone runs as the ServiceAccount
`llmops-drift-submitter`, which may create Workflows and report its result, nothing else (charts/llmops,
docs/security.md); the check runs as the workflow pods' `llmops-workflow`. The parameters are the step's
inputs, with the same descriptions (`steps.drift_check.DriftCheckInput`).
"""

from __future__ import annotations

from typing import Any

from hera.workflows import DAG, Parameter, Resource, Task, WorkflowTemplate

from components.common import LABELS, POD_SECURITY, SERVICE_ACCOUNT, SYNC_WAVE
from steps.drift_check import DriftCheckInput
from workflows.argo.events import DRIFT_WORKFLOW_PARAMETER as PIPELINE_WORKFLOW
from workflows.flywheel_render import DRIFT_TEMPLATE as NAME
from workflows.pipeline import NAMESPACE
from workflows.pipeline_branches import out, params, ref

SUBMITTER = "llmops-drift-submitter"  # fixed: charts/llmops values drift.serviceAccount
CHECK, SUBMIT = "check", "submit-run"
FROM_WORKFLOW = ("workflow_name", "workflow_uid")  # the step inputs the workflow itself gives


def _parameter(name: str, field: Any) -> Parameter:
    declared = next(item for item in field.metadata if isinstance(item, Parameter))
    return Parameter(name=name, description=declared.description, enum=declared.enum)


PARAMETERS = [
    *(_parameter(name, field) for name, field in DriftCheckInput.model_fields.items() if name not in FROM_WORKFLOW),
    Parameter(
        name=PIPELINE_WORKFLOW,
        description="The Workflow created when the champion drifted (JSON): the run spec's pipeline Workflow "
        "with trigger drift, as a flywheel's drift CronWorkflow gives it (manifests/flywheels)",
    ),
]

with WorkflowTemplate(
    name=NAME,
    namespace=NAMESPACE,
    labels=LABELS,
    annotations={SYNC_WAVE: "1"},  # after the ClusterWorkflowTemplates it references
    service_account_name=SERVICE_ACCOUNT,
    entrypoint="drift-check",
    arguments=PARAMETERS,
) as wt:
    Resource(
        name=SUBMIT,
        action="create",
        manifest="{{inputs.parameters.manifest}}",
        set_owner_reference=False,
        service_account_name=SUBMITTER,
        pod_security_context=POD_SECURITY,
        inputs=[Parameter(name="manifest", description="The Workflow to create (JSON)")],
        active_deadline_seconds=300,
    )
    with DAG(name="drift-check"):
        Task(
            name=CHECK,
            template_ref=ref("evaluation", "drift-check"),
            arguments={
                "workflow_name": "{{workflow.name}}",
                "workflow_uid": "{{workflow.uid}}",
                **params(*(name for name in DriftCheckInput.model_fields if name not in FROM_WORKFLOW)),
            },
        )
        Task(
            name=SUBMIT,
            template=SUBMIT,
            depends=CHECK,
            when=f"{out(CHECK, 'drifted')} == true",
            arguments={"manifest": "{{workflow.parameters." + PIPELINE_WORKFLOW + "}}"},
        )
