"""The tracker port on MLflow: one parent run per workflow, one nested run per step.

The parent run is created once (step `open-run`) and closed by `finalize` (the workflow's onExit).
Steps in other processes attach children with `parent_run_id`; the parent id travels as a workflow
parameter, never through MLFLOW_RUN_ID (that variable makes `start_run` resume the parent itself).
Works the same against a tracking server (MLFLOW_TRACKING_URI) and the local SQLite default.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from steps import lineage, reused_runs, settings
from steps.contracts import DatasetRef
from steps.mlflow_errors import already_exists, explain_unreachable, unavailable, unreachable, without_credentials

WORKFLOW_UID_TAG = "argo.workflow.uid"
WORKFLOW_NAME_TAG = "argo.workflow.name"
STEP_TAG = "llmops.step"
NODE_TAG, NODE_ID_ENV = "argo.node.id", "ARGO_NODE_ID"  # the workflow node a step run belongs to
ROLE_TAG = "llmops.role"  # "workflow" on the parent; children carry the workflow tags too
TERMINAL_STATUS = {"Succeeded": "FINISHED", "Failed": "FAILED", "Error": "FAILED"}
# The experiment opens on MLflow's model-training views ("Machine learning"), not the GenAI ones; a kind
# someone chose in the UI stays.
EXPERIMENT_KIND_TAG, EXPERIMENT_KIND = "mlflow.experimentKind", "custom_model_development"
DESCRIPTION_TAG = "mlflow.note.content"  # the run's description on the MLflow run page
SQLITE = "sqlite:///"
_explained = explain_unreachable(settings.tracking_uri)  # an unreachable server: one clear error naming it


def _mlflow():
    os.environ.pop("MLFLOW_RUN_ID", None)  # never resume a run implicitly, see module docstring
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "3")
    import mlflow

    mlflow.set_tracking_uri(settings.tracking_uri())
    return mlflow


def display_uri() -> str:
    """The tracking URI as it may be shown (no credentials)."""
    return without_credentials(settings.tracking_uri())


def client():
    return _mlflow().MlflowClient()


def prepare_store() -> None:
    """Create a new local (SQLite) tracking database once, under a lock, before any step opens it: processes
    that open a new database at the same moment race through its schema migrations (two runs started at once
    on a fresh workspace). A database that exists is left to MLflow."""
    uri = settings.tracking_uri()
    if not uri.startswith(SQLITE):
        return
    path = Path(uri[len(SQLITE) :])
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f"{path.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists() or path.stat().st_size == 0:
            tracker = client()
            tracker.search_experiments(max_results=1)  # creates and migrates the tracking tables
            tracker.search_registered_models(max_results=1)  # ... and the model registry's


@_explained
def find_parent(workflow_uid: str) -> str | None:
    """The parent run of a workflow, looked up by its uid tag (None if it was never opened)."""
    mlflow = _mlflow()
    runs = mlflow.search_runs(
        search_all_experiments=True,
        filter_string=f"tags.`{WORKFLOW_UID_TAG}` = '{workflow_uid}' and tags.`{ROLE_TAG}` = 'workflow'",
        output_format="list",
        max_results=1,
    )
    return runs[0].info.run_id if runs else None


@_explained
def open_parent(experiment: str, run_name: str, workflow_uid: str, tags: dict[str, str]) -> str:
    """Create the workflow's parent run, or return the one a retried attempt already created."""
    existing = find_parent(workflow_uid)
    if existing:
        return existing
    run = client().create_run(
        _experiment_id(experiment),
        run_name=run_name,
        tags={**tags, WORKFLOW_UID_TAG: workflow_uid, ROLE_TAG: "workflow"},
    )
    return run.info.run_id


def _experiment_id(experiment: str) -> str:
    """The experiment's id, created if needed. Two runs of one spec started at once both find no experiment
    and both create it: the one that loses gets RESOURCE_ALREADY_EXISTS and reads the winner's."""
    mlflow = _mlflow()
    exp = mlflow.get_experiment_by_name(experiment)
    if exp is None:
        try:
            tags = {EXPERIMENT_KIND_TAG: EXPERIMENT_KIND}
            return mlflow.create_experiment(experiment, artifact_location=_artifact_location(), tags=tags)
        except Exception as error:
            exp = mlflow.get_experiment_by_name(experiment) if already_exists(error) else None
            if exp is None:
                raise
    if EXPERIMENT_KIND_TAG not in exp.tags:
        client().set_experiment_tag(exp.experiment_id, EXPERIMENT_KIND_TAG, EXPERIMENT_KIND)
    return exp.experiment_id


def _artifact_location() -> str | None:
    """Where a new experiment keeps its artifacts: beside a local SQLite database (`mlartifacts/`, so a workspace
    holds its runs whole; MLflow's default is `./mlruns` of whatever directory the process runs in); a tracking
    server decides for itself (None)."""
    uri = settings.tracking_uri()
    if not uri.startswith(SQLITE):
        return None
    return (Path(uri[len(SQLITE) :]).parent / "mlartifacts").as_uri()


@contextlib.contextmanager
def step_run(parent_run_id: str, step: str, tags: dict[str, str] | None = None) -> Iterator[Any]:
    """A nested run for one step; yields the `mlflow` module with that run active.

    In a workflow (ARGO_NODE_ID set) the run is tagged with its node: a node that runs again (`argo retry`,
    `llmops retry` after a failure or an interruption) continues its own run instead of adding another."""
    mlflow = _mlflow()
    parent = _explained(client().get_run)(parent_run_id)
    child_tags = {STEP_TAG: step, ROLE_TAG: "step", **(tags or {})}
    for key in (WORKFLOW_UID_TAG, WORKFLOW_NAME_TAG):
        if key in parent.data.tags:
            child_tags[key] = parent.data.tags[key]
    node = os.environ.get(NODE_ID_ENV, "")
    if node:
        child_tags[NODE_TAG] = node
    earlier = _node_run(parent.info.experiment_id, parent_run_id, node, step) if node else None
    where: dict[str, Any] = {"experiment_id": parent.info.experiment_id, "run_name": step}
    where |= {"run_id": earlier} if earlier else {"parent_run_id": parent_run_id}
    try:
        with mlflow.start_run(**where, tags=child_tags):
            yield mlflow
    except Exception as error:
        if unreachable(error):
            raise unavailable(settings.tracking_uri(), error) from error
        raise


@_explained
def _node_run(experiment_id: str, parent_run_id: str, node: str, step: str) -> str | None:
    runs = _mlflow().search_runs(
        experiment_ids=[experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{parent_run_id}' and tags.`{NODE_TAG}` = '{node}' "
        f"and attributes.run_name = '{step}'",
        output_format="list",
        max_results=1,
    )
    return runs[0].info.run_id if runs else None


@_explained
def set_parent_tags(parent_run_id: str, tags: dict[str, str]) -> None:
    c = client()
    for key, value in tags.items():
        c.set_tag(parent_run_id, key, value)


@_explained
def log_parent_metrics(parent_run_id: str, metrics: dict[str, float]) -> None:
    c = client()
    for key, value in metrics.items():
        c.log_metric(parent_run_id, key, float(value))


@_explained
def log_parent_params(parent_run_id: str, params: dict[str, object]) -> dict[str, str]:
    """The run-spec settings a step received, as parameters of the parent run (see `steps.lineage`)."""
    return lineage.log_parent_params(client(), parent_run_id, params)


@_explained
def log_dataset_inputs(parent_run_id: str, ref: DatasetRef, counts: dict[str, int]) -> list[str]:
    """The dataset's splits as dataset inputs of the parent run, with digest and row counts."""
    return lineage.log_dataset_inputs(client(), parent_run_id, ref, counts)


@_explained
def log_adapter_model(
    parent_run_id: str,
    adapter_id: str,
    name: str,
    files: Path | None,
    tags: dict[str, str],
    params: dict[str, object] | None = None,
) -> Any:
    """The adapter as a LoggedModel output of the parent run (found again on a retry)."""
    return lineage.adapter_model(client(), parent_run_id, adapter_id, name, files, tags, params)


@_explained
def close_parent(parent_run_id: str, workflow_status: str) -> str:
    status = TERMINAL_STATUS.get(workflow_status, "FAILED")
    client().set_terminated(parent_run_id, status=status)
    return status


@_explained
def children(parent_run_id: str) -> list[Any]:
    mlflow = _mlflow()
    parent = client().get_run(parent_run_id)
    return mlflow.search_runs(
        experiment_ids=[parent.info.experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{parent_run_id}'",
        output_format="list",
    )


def reused(parent_run_id: str) -> list[Any]:
    """The earlier runs whose results this workflow reused (memoized nodes; see `steps.reused_runs`)."""
    c = client()
    return reused_runs.reused(c, c.get_run(parent_run_id))
