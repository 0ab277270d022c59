"""Step finalize (the workflow's onExit): write the run report and close the MLflow parent run.

The report (verdict first, `steps.run_report`) goes to the parent run (report.md, report.html,
charts/*.png), to `<workspace>/reports/<workflow name>/`, and its first line to the `verdict` output,
exported as the workflow output `verdict` (`status.outputs.parameters` in Argo).
"""

from typing import Annotated

from hera.workflows import Input, Output, Parameter

from steps import platforms, run_report
from steps.logic.run_report import verdict


class FinalizeInput(Input):
    workflow_uid: Annotated[str, Parameter(description="Argo workflow uid")]
    workflow_name: Annotated[str, Parameter(description="Argo workflow name")]
    workflow_status: Annotated[str, Parameter(description="{{workflow.status}}: Succeeded, Failed or Error")]


class FinalizeOutput(Output):
    mlflow_status: Annotated[str, Parameter(name="mlflow_status", description="Status the parent run got")]
    verdict: Annotated[
        str,
        Parameter(
            name="verdict",
            global_name="verdict",
            description="The run report's first line: PASS, BLOCKED or NO VERDICT and the rule that decided",
        ),
    ]


def finalize(inputs: FinalizeInput) -> FinalizeOutput:
    platform = platforms.build()
    parent_id = platform.tracker.find_parent(inputs.workflow_uid)
    if parent_id is None:
        print(f"no MLflow run for workflow {inputs.workflow_name} ({inputs.workflow_uid}); nothing to close")
        return FinalizeOutput(mlflow_status="NONE", verdict="NO VERDICT: no MLflow run was opened")
    platform.tracker.client().set_tag(parent_id, "argo.workflow.status", inputs.workflow_status)
    folder = run_report.folder(inputs.workflow_name)
    try:
        report = run_report.write(platform.tracker, parent_id, inputs.workflow_status, folder)
    finally:  # the parent run is closed even when the report cannot be written
        status = platform.tracker.close_parent(parent_id, inputs.workflow_status)
    line = verdict(report)
    print(line)
    print(f"MLflow run {parent_id} closed as {status}; report at {folder / 'report.html'}")
    return FinalizeOutput(mlflow_status=status, verdict=line)
