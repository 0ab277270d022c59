"""Lineage on the workflow's MLflow parent run: settings as parameters, the dataset as inputs, the adapter
as a LoggedModel (what the MLflow run page shows under Parameters, Datasets and Logged models).

- Parameters: each step logs the run-spec settings it receives, under their workflow parameter names
  (the names of the Argo UI form). A parameter already on the run keeps its value: MLflow parameters are
  immutable, and within one workflow every step receives the same value (a retried or parallel step logs
  nothing new). A value longer than MLflow's limit is cut, and the whole value is logged as an artifact.
- Dataset inputs: one per split, digest = the dataset revision, profile = the row count; the context says
  what the split is for (`SPLIT_CONTEXTS`).
- The adapter: one LoggedModel per parent run and adapter (found again on a retry), with the LoRA
  hyperparameters as its parameters and the weights as its artifacts where the platform holds them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from steps.contracts import DatasetRef

MAX_PARAM_LENGTH = 6000  # MLflow's limit on a parameter value
MAX_DIGEST_LENGTH = 36  # MLflow's limit on a dataset digest (a NeMo Data Store commit id is 40 hex)
SPLIT_CONTEXTS = {"training": "training", "validation": "validation", "testing": "evaluation"}
ADAPTER_TAG = "llmops.adapter_id"
ADAPTER_MODEL_TYPE = "lora-adapter"
MODEL_VERSIONS_TAG = "mlflow.modelVersions"  # what the MLflow UI reads to list a LoggedModel's versions


def param_text(value: object) -> str:
    """A setting as a parameter value: the text the workflow parameter carries."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def log_parent_params(client: Any, run_id: str, settings: dict[str, object]) -> dict[str, str]:
    """Log the settings missing from the run as parameters; returns what was logged.

    A setting the run already has with another value is reported and left as it is (MLflow refuses to
    change a parameter); two parallel steps logging the same value is not an error.
    """
    from mlflow.entities import Param
    from mlflow.exceptions import MlflowException

    wanted = {key: param_text(value) for key, value in settings.items()}
    existing = client.get_run(run_id).data.params
    for key, value in wanted.items():
        if key in existing and existing[key] != _cut(value):
            print(f"parameter {key} stays {existing[key]!r} on run {run_id} (this step has {value!r})")
    missing = {key: value for key, value in wanted.items() if key not in existing}
    for key, value in missing.items():
        if len(value) > MAX_PARAM_LENGTH:
            client.log_text(run_id, value, f"parameters/{key}.txt")
    if not missing:
        return missing
    try:
        client.log_batch(run_id, params=[Param(key, _cut(value)) for key, value in missing.items()])
    except MlflowException:
        now = client.get_run(run_id).data.params  # a parallel step logged them first: same values, fine
        if any(now.get(key) != _cut(value) for key, value in missing.items()):
            raise
    return missing


def _cut(value: str) -> str:
    if len(value) <= MAX_PARAM_LENGTH:
        return value
    note = "… (cut; the whole value is in the artifact parameters/)"
    return value[: MAX_PARAM_LENGTH - len(note)] + note


def log_dataset_inputs(client: Any, run_id: str, ref: DatasetRef, counts: dict[str, int]) -> list[str]:
    """One dataset input per split on the run (name `<dataset>/<split>`); returns the names logged."""
    from mlflow.entities import Dataset, DatasetInput, InputTag
    from mlflow.utils.mlflow_tags import MLFLOW_DATASET_CONTEXT

    scheme = ref.uri.split("://", 1)[0]
    inputs = []
    for split, rows in sorted(counts.items()):
        files = [f for f in ref.files if f.split("/")[0] == split]
        dataset = Dataset(
            name=f"{ref.name}/{split}",
            digest=ref.revision[:MAX_DIGEST_LENGTH],
            source_type=scheme,
            source=json.dumps({"uri": ref.uri, "files": files}),
            profile=json.dumps({"num_rows": rows}),
        )
        tags = [InputTag(MLFLOW_DATASET_CONTEXT, SPLIT_CONTEXTS.get(split, split))]
        inputs.append(DatasetInput(dataset, tags))
    logged = {i.dataset.name for i in client.get_run(run_id).inputs.dataset_inputs}
    new = [i for i in inputs if i.dataset.name not in logged]
    if new:
        client.log_inputs(run_id, datasets=new)
    return [i.dataset.name for i in new]


def find_adapter_model(client: Any, run_id: str, adapter_id: str) -> Any | None:
    """The LoggedModel of `adapter_id` produced by run `run_id`, if it was created."""
    experiment_id = client.get_run(run_id).info.experiment_id
    found = client.search_logged_models(
        experiment_ids=[experiment_id],
        filter_string=f"source_run_id = '{run_id}' AND tags.`{ADAPTER_TAG}` = '{adapter_id}'",
        max_results=1,
    )
    return found[0] if found else None


def adapter_model(
    client: Any,
    run_id: str,
    adapter_id: str,
    name: str,
    files: Path | None,
    tags: dict[str, str],
    params: dict[str, object] | None = None,
) -> Any:
    """The adapter as a LoggedModel of the run (created once, weights uploaded where `files` is a folder),
    listed among the run's outputs."""
    from mlflow.entities import LoggedModelOutput, LoggedModelStatus

    model = find_adapter_model(client, run_id, adapter_id)
    if model is None:
        experiment_id = client.get_run(run_id).info.experiment_id
        model = client.create_logged_model(
            experiment_id,
            name=name,
            source_run_id=run_id,
            tags={ADAPTER_TAG: adapter_id, **tags},
            params={key: param_text(value) for key, value in (params or {}).items()},
            model_type=ADAPTER_MODEL_TYPE,
        )
    if model.status != LoggedModelStatus.READY:  # new, or a retry after an interrupted upload
        if files is not None:
            client.log_model_artifacts(model.model_id, str(files))
        model = client.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
    outputs = client.get_run(run_id).outputs
    if model.model_id not in {o.model_id for o in (outputs.model_outputs if outputs else [])}:
        client.log_outputs(run_id, [LoggedModelOutput(model.model_id, step=0)])
    return model


def link_version(client: Any, model_id: str, name: str, version: str) -> None:
    """Record a registered version on its LoggedModel (a tracking server does this itself; SQLite does not)."""
    model = client.get_logged_model(model_id)
    versions = json.loads(model.tags.get(MODEL_VERSIONS_TAG, "[]"))
    entry = {"name": name, "version": str(version)}
    if entry not in versions:
        client.set_logged_model_tags(model_id, {MODEL_VERSIONS_TAG: json.dumps([*versions, entry])})
