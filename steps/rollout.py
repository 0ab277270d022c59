"""Step rollout: serve the adapter as the release of its base model and make it the registry's `champion`.

The previous champion keeps the alias `previous`; the version stops being the `challenger`. Re-running
finds the version already registered for this adapter (by step `register`, or by an earlier rollout)
instead of creating a second one.
"""

from typing import Annotated

from hera.workflows import Output, Parameter

from steps import platforms, registry
from steps.customize import log_adapter
from steps.errors import StepFailedError
from steps.io import TrackedInput


class RolloutInput(TrackedInput):
    base_model: Annotated[str, Parameter(description="Base model id")]
    adapter_id: Annotated[str, Parameter(description="Adapter to release")]
    registered_model_name: Annotated[str, Parameter(description="MLflow registered model name")]
    gate_decision: Annotated[str, Parameter(description="Gate verdict; rollout refuses anything but pass")]


class RolloutOutput(Output):
    model_version: Annotated[str, Parameter(name="model_version", description="Registered model version")]


def rollout(inputs: RolloutInput) -> RolloutOutput:
    platform = platforms.build()
    if inputs.gate_decision != "pass":
        raise StepFailedError(f"rollout refused: gate decision is {inputs.gate_decision!r}, not 'pass'")
    customizer = platform.customizer
    newly_served = platform.deployer.serve_adapter(inputs.base_model, inputs.adapter_id)
    platform.deployer.release_adapter(inputs.base_model, inputs.adapter_id)
    client = platform.tracker.client()
    name = inputs.registered_model_name
    platform.tracker.log_parent_params(inputs.mlflow_run_id, {"registered_model_name": name})
    model = log_adapter(platform, inputs.mlflow_run_id, inputs.adapter_id, inputs.base_model)
    with platform.tracker.step_run(inputs.mlflow_run_id, "rollout") as mlflow:
        version, _ = registry.ensure_version(
            client,
            name,
            inputs.mlflow_run_id,
            inputs.adapter_id,
            inputs.base_model,
            model,
            customizer.adapter_uri(inputs.adapter_id),
            has_files=customizer.adapter_files(inputs.adapter_id) is not None,
        )
        previous = registry.promote(client, name, str(version.version))
        mlflow.set_tags(
            {"adapter_id": inputs.adapter_id, "model_version": version.version, "previous_champion": previous or ""}
        )
    platform.tracker.set_parent_tags(inputs.mlflow_run_id, {"llmops.released_version": f"{name}/{version.version}"})
    print(
        f"released {inputs.adapter_id} as {name} v{version.version} (@{registry.CHAMPION}); "
        f"{'now served' if newly_served else 'already served'}; previous champion: {previous or 'none'}"
    )
    return RolloutOutput(model_version=str(version.version))
