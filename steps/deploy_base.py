"""Step deploy-base: make sure the base model is served and output its endpoint and model id."""

from typing import Annotated

from hera.workflows import Output, Parameter

from steps import platforms
from steps.io import TrackedInput


class DeployBaseInput(TrackedInput):
    base_model: Annotated[str, Parameter(description="Base model id (e.g. llmops/tiny-llama)")]


class DeployBaseOutput(Output):
    model_id: Annotated[str, Parameter(name="model_id", description="Served model id")]
    model_key: Annotated[str, Parameter(name="model_key", description="Names the exact base weights (cache key)")]
    endpoint: Annotated[str, Parameter(name="endpoint", description="Inference endpoint")]


def deploy_base(inputs: DeployBaseInput) -> DeployBaseOutput:
    platform = platforms.build()
    deployment = platform.deployer.ensure_base(inputs.base_model)
    with platform.tracker.step_run(inputs.mlflow_run_id, "deploy-base") as mlflow:
        mlflow.log_params({"base_model": inputs.base_model, "endpoint": deployment.endpoint})
    print(f"base model {deployment.model_id} ready at {deployment.endpoint}")
    return DeployBaseOutput(model_id=deployment.model_id, model_key=deployment.model_key, endpoint=deployment.endpoint)
