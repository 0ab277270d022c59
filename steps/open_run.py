"""Step open-run: create the workflow's MLflow parent run and tag it with what identifies the run.

A run that names its platform runs only where that platform is configured: open-run refuses it
elsewhere, before anything is created. The parent run records the platform either way.
"""

from typing import Annotated, Literal

from hera.workflows import Input, Output, Parameter

from steps import platforms, tracking
from steps.io import Platform, choices

PLATFORM_TAG = "llmops.platform"
PlatformOrUnset = Literal["", Platform]  # "": the run spec names none


class OpenRunInput(Input):
    experiment: Annotated[str, Parameter(description="MLflow experiment name")]
    workflow_name: Annotated[str, Parameter(description="Argo workflow name")]
    workflow_uid: Annotated[str, Parameter(description="Argo workflow uid")]
    run_spec_name: Annotated[str, Parameter(description="Run spec name")]
    run_spec_hash: Annotated[str, Parameter(description="sha256 of the canonical run spec")]
    git_commit: Annotated[str, Parameter(description="Git commit of the run spec")]
    base_model: Annotated[str, Parameter(description="Base model id")]
    platform: Annotated[
        PlatformOrUnset,
        Parameter(
            description="Platform the run needs; empty: the one this environment is configured with",
            enum=choices(PlatformOrUnset),
        ),
    ]


class OpenRunOutput(Output):
    mlflow_run_id: Annotated[str, Parameter(name="mlflow_run_id", description="MLflow parent run id")]


def open_run(inputs: OpenRunInput) -> OpenRunOutput:
    name = platforms.require(inputs.platform)  # before the parent run exists
    platform = platforms.build(name)
    tags = {
        "llmops.run_spec": inputs.run_spec_name,
        "llmops.run_spec_hash": inputs.run_spec_hash,
        "mlflow.source.git.commit": inputs.git_commit,
        "llmops.base_model": inputs.base_model,
        PLATFORM_TAG: name,
        tracking.WORKFLOW_NAME_TAG: inputs.workflow_name,
    }
    run_id = platform.tracker.open_parent(inputs.experiment, inputs.workflow_name, inputs.workflow_uid, tags)
    platform.tracker.log_parent_params(run_id, {"base_model": inputs.base_model, "platform": name})
    print(f"MLflow parent run {run_id} (platform {name})")
    return OpenRunOutput(mlflow_run_id=run_id)
