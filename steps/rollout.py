"""Step rollout: serve the adapter next to its base model and make it the registry's `champion`.

The previous champion keeps the alias `previous`. Re-running finds the version already registered
for this adapter instead of creating a second one.
"""

from typing import Annotated

from hera.workflows import Output, Parameter

from steps import platforms
from steps.errors import StepFailedError
from steps.io import TrackedInput

CHAMPION, PREVIOUS = "champion", "previous"


class RolloutInput(TrackedInput):
    base_model: Annotated[str, Parameter(description="Base model id")]
    adapter_id: Annotated[str, Parameter(description="Adapter to release")]
    registered_model_name: Annotated[str, Parameter(description="MLflow registered model name")]
    gate_decision: Annotated[str, Parameter(description="Gate verdict; rollout refuses anything but pass")]


class RolloutOutput(Output):
    model_version: Annotated[str, Parameter(name="model_version", description="Registered model version")]


def _find_version(client, name: str, adapter_id: str):
    for version in client.search_model_versions(f"name = '{name}'"):
        if version.tags.get("adapter_id") == adapter_id:
            return version
    return None


def promote(client, name: str, version: str) -> str | None:
    """Point `champion` at version; the old champion (if another) becomes `previous`."""
    from mlflow.exceptions import MlflowException

    try:
        old = str(client.get_model_version_by_alias(name, CHAMPION).version)
    except MlflowException:  # no champion yet
        old = None
    if old and old != version:
        client.set_registered_model_alias(name, PREVIOUS, old)
    client.set_registered_model_alias(name, CHAMPION, version)
    return old


def rollout(inputs: RolloutInput) -> RolloutOutput:
    platform = platforms.build()
    if inputs.gate_decision != "pass":
        raise StepFailedError(f"rollout refused: gate decision is {inputs.gate_decision!r}, not 'pass'")
    customizer = platform.customizer
    files, uri = customizer.adapter_files(inputs.adapter_id), customizer.adapter_uri(inputs.adapter_id)
    newly_served = platform.deployer.serve_adapter(inputs.base_model, inputs.adapter_id)
    client = platform.tracker.client()
    name = inputs.registered_model_name
    with platform.tracker.step_run(inputs.mlflow_run_id, "rollout") as mlflow:
        exists = bool(client.search_registered_models(f"name = '{name}'"))
        version = _find_version(client, name, inputs.adapter_id) if exists else None
        if version is None:
            if not exists:
                client.create_registered_model(name, tags={"base_model": inputs.base_model})
            run_id = mlflow.active_run().info.run_id
            if files is not None:  # weights we hold go into MLflow; remote ones are referenced
                mlflow.log_artifacts(str(files), "adapter")
            version = client.create_model_version(
                name,
                source=f"runs:/{run_id}/adapter" if files is not None else uri,
                run_id=run_id,
                tags={"adapter_id": inputs.adapter_id, "base_model": inputs.base_model, "adapter_uri": uri},
            )
        previous = promote(client, name, str(version.version))
        mlflow.set_tags(
            {"adapter_id": inputs.adapter_id, "model_version": version.version, "previous_champion": previous or ""}
        )
    platform.tracker.set_parent_tags(inputs.mlflow_run_id, {"llmops.released_version": f"{name}/{version.version}"})
    print(
        f"released {inputs.adapter_id} as {name} v{version.version} (@{CHAMPION}); "
        f"{'now served' if newly_served else 'already served'}; previous champion: {previous or 'none'}"
    )
    return RolloutOutput(model_version=str(version.version))
