"""Step open-run: create the workflow's MLflow parent run and tag it with what identifies the run."""

from typing import Annotated

from hera.workflows import Input, Output, Parameter

from steps import platforms, tracking


class OpenRunInput(Input):
    experiment: Annotated[str, Parameter(description="MLflow experiment name")] = "llmops"
    workflow_name: Annotated[str, Parameter(description="Argo workflow name")]
    workflow_uid: Annotated[str, Parameter(description="Argo workflow uid")]
    run_spec_name: Annotated[str, Parameter(description="Run spec name")]
    run_spec_hash: Annotated[str, Parameter(description="sha256 of the canonical run spec")]
    git_commit: Annotated[str, Parameter(description="Git commit of the run spec")] = ""
    base_model: Annotated[str, Parameter(description="Base model id")]


class OpenRunOutput(Output):
    mlflow_run_id: Annotated[str, Parameter(name="mlflow_run_id", description="MLflow parent run id")]


def open_run(inputs: OpenRunInput) -> OpenRunOutput:
    platform = platforms.build()
    tags = {
        "llmops.run_spec": inputs.run_spec_name,
        "llmops.run_spec_hash": inputs.run_spec_hash,
        "mlflow.source.git.commit": inputs.git_commit,
        "llmops.base_model": inputs.base_model,
        tracking.WORKFLOW_NAME_TAG: inputs.workflow_name,
    }
    run_id = platform.tracker.open_parent(inputs.experiment, inputs.workflow_name, inputs.workflow_uid, tags)
    print(f"MLflow parent run {run_id}")
    return OpenRunOutput(mlflow_run_id=run_id)
