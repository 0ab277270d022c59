"""Step open-run: create the workflow's MLflow parent run and tag it with what identifies the run.

A run that names its platform runs only where that platform is configured: open-run refuses it
elsewhere, before anything is created. The parent run records the platform either way.
"""

from typing import Annotated, Literal

from hera.workflows import Input, Output, Parameter

from steps import settings, tracking
from steps.errors import PlatformNotAvailableError
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
        Parameter(description="Platform the run needs; empty: the one this environment is configured with",
                  enum=choices(PlatformOrUnset)),
    ]


class OpenRunOutput(Output):
    mlflow_run_id: Annotated[str, Parameter(name="mlflow_run_id", description="MLflow parent run id")]


def require_platform(requested: str | None) -> str:
    """The platform this environment is configured with; refused when the run names another one."""
    configured = settings.platform()
    if requested and requested != configured:
        raise PlatformNotAvailableError(
            f"the run spec names platform {requested!r}, but this environment is configured for {configured!r} "
            f"(LLMOPS_PLATFORM); set LLMOPS_PLATFORM={requested} (on a cluster: the `platform` key of the "
            "llmops-config ConfigMap) to run it there, or change `platform:` in the run spec "
            "(leave it out to use the configured platform)"
        )
    return configured


def open_run(inputs: OpenRunInput) -> OpenRunOutput:
    platform = require_platform(inputs.platform)  # before the parent run exists
    tags = {
        "llmops.run_spec": inputs.run_spec_name,
        "llmops.run_spec_hash": inputs.run_spec_hash,
        "mlflow.source.git.commit": inputs.git_commit,
        "llmops.base_model": inputs.base_model,
        PLATFORM_TAG: platform,
        tracking.WORKFLOW_NAME_TAG: inputs.workflow_name,
    }
    run_id = tracking.open_parent(inputs.experiment, inputs.workflow_name, inputs.workflow_uid, tags)
    print(f"MLflow parent run {run_id} (platform {platform})")
    return OpenRunOutput(mlflow_run_id=run_id)
