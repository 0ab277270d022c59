"""Input fields shared by every step (Hera runner contract: pydantic Input/Output models)."""

from typing import Annotated

from hera.workflows import Input, Parameter


class TrackedInput(Input):
    """Inputs of a step that logs into the workflow's MLflow parent run."""

    mlflow_run_id: Annotated[
        str, Parameter(description="MLflow parent run of this workflow (output of open-run)")
    ]
