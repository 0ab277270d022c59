"""Step register: a candidate that passed the gate becomes a registered version with the alias `challenger`.

It runs before the approval, so a candidate waiting for approval, or rejected, is in the registry as the
challenger; rollout later makes it the champion. The version is linked to the parent run and the adapter's
LoggedModel, and carries the gate's rows (one tag per compared score), the decision and the dataset revision.
"""

import json
from typing import Annotated

from hera.workflows import Output, Parameter

from steps import platforms, registry
from steps.customize import log_adapter
from steps.errors import InvalidInputError, StepFailedError
from steps.io import TrackedInput

GATE_ROW_PREFIX = "gate."


class RegisterInput(TrackedInput):
    base_model: Annotated[str, Parameter(description="Base model id")]
    adapter_id: Annotated[str, Parameter(description="Adapter that passed the gate")]
    registered_model_name: Annotated[str, Parameter(description="MLflow registered model name")]
    dataset_revision: Annotated[str, Parameter(description="Dataset revision the adapter was trained on")]
    gate_decision: Annotated[str, Parameter(description="Gate verdict; register refuses anything but pass")]
    gate_rows: Annotated[str, Parameter(description="JSON object of the gate's rows (output of the gate)")]


class RegisterOutput(Output):
    model_version: Annotated[str, Parameter(name="model_version", description="Registered model version")]


def version_tags(rows: dict[str, dict], decision: str, dataset_revision: str) -> dict[str, str]:
    tags = {f"{GATE_ROW_PREFIX}{name}": json.dumps(row, sort_keys=True) for name, row in rows.items()}
    return {**tags, "gate.decision": decision, "dataset_revision": dataset_revision}


def register(inputs: RegisterInput) -> RegisterOutput:
    if inputs.gate_decision != "pass":
        raise StepFailedError(f"register refused: gate decision is {inputs.gate_decision!r}, not 'pass'")
    try:
        rows = json.loads(inputs.gate_rows)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"register: gate_rows is not JSON ({exc}); pass the gate's rows output") from None
    platform = platforms.build()
    client = platform.tracker.client()
    name = inputs.registered_model_name
    platform.tracker.log_parent_params(inputs.mlflow_run_id, {"registered_model_name": name})
    model = log_adapter(platform, inputs.mlflow_run_id, inputs.adapter_id, inputs.base_model)
    customizer = platform.customizer
    version, created = registry.ensure_version(
        client,
        name,
        inputs.mlflow_run_id,
        inputs.adapter_id,
        inputs.base_model,
        model,
        customizer.adapter_uri(inputs.adapter_id),
        has_files=customizer.adapter_files(inputs.adapter_id) is not None,
    )
    number = str(version.version)
    registry.set_tags(client, name, number, version_tags(rows, inputs.gate_decision, inputs.dataset_revision))
    alias = registry.mark_challenger(client, name, number)
    with platform.tracker.step_run(inputs.mlflow_run_id, "register") as mlflow:
        mlflow.set_tags({"adapter_id": inputs.adapter_id, "model_version": number, "model_id": model.model_id})
    print(
        f"{'registered' if created else 'found'} {inputs.adapter_id} as {name} v{number}"
        + (f" (@{alias})" if alias else " (already the champion)")
    )
    return RegisterOutput(model_version=number)
