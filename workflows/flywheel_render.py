"""A flywheel's manifests (`manifests/flywheels/<name>.yaml`): a CronWorkflow, a WorkflowEventBinding, and the
drift check's CronWorkflow (`<name>-drift`).

All three start what the run spec's own Workflow holds (`render.run_workflow`: `workflowTemplateRef:
llmops-lora-pipeline` and the spec's arguments, nothing else, as `templateReferencing: Strict` requires),
with `trigger` set to `schedule`, `new-data` or `drift`, and label the runs with the run spec, the flywheel
and the trigger. The drift CronWorkflow runs the WorkflowTemplate `llmops-drift-check` with the run spec's
evaluation arguments and the drift policy; the pipeline Workflow it creates when the champion drifted is its
argument `pipeline_workflow` (JSON), the schedule's Workflow with `trigger: drift` and a generated name.

The event binding's arguments are expressions (Argo Workflows' expr language) that the Argo Server evaluates
against the event: each run-spec argument is a string literal, `dataset_source` is the event's
`payload.source`. A value Argo would not pass verbatim (`workflows.argo.events`) that is JSON (a list or an
object, like `benchmarks`) is sent as `fromJSON("...")` and arrives as the same JSON, compact; any other is
refused here. Event payload: `{"source": "<JSONL path or file:// URI>", "revision": "<optional>"}`
(docs/flywheel.md).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from steps.errors import InvalidInputError
from workflows import parameters
from workflows.argo.events import DRIFT_WORKFLOW_PARAMETER, literal, verbatim
from workflows.flywheel_spec import FlywheelSpec, Schedule
from workflows.runspec import RunSpec

API_VERSION = "argoproj.io/v1alpha1"
SCHEDULE, NEW_DATA, DRIFT = "schedule", "new-data", "drift"
DRIFT_SUFFIX = "-drift"  # the drift check's CronWorkflow: <flywheel>-drift
DRIFT_TEMPLATE = "llmops-drift-check"  # the drift check's WorkflowTemplate (workflows/drift_template.py)
# The run-spec arguments the drift check reads (steps.drift_check.DriftCheckInput)
DRIFT_ARGUMENTS = (
    "run_spec_name",
    "experiment",
    "platform",
    "registered_model_name",
    "business_metrics",
    "business_headline",
    "business_max_tokens",
)
TRIGGER_PARAMETER, SOURCE_PARAMETER = "trigger", "dataset_source"
EVENT_SOURCE = "payload.source"
REVISION_ANNOTATION = "llmops/event-revision"  # what the sender calls the new data (e.g. a curation run id)


def event_value(name: str, value: str) -> str:
    """The expression that gives a run-spec argument its value in an event-submitted run."""
    if verbatim(value):
        return literal(value)
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if isinstance(parsed, (dict, list)):
        return f"fromJSON({literal(value)})"
    raise InvalidInputError(
        f"argument {name}={value!r} cannot be passed by an event binding: Argo would escape its quotes, "
        "backslashes or control characters; leave them out of that run-spec field"
    )


def _parameters(run: dict[str, Any], trigger: str | None = None) -> list[dict[str, Any]]:
    """The run's arguments; with `trigger`, that value for the trigger parameter."""
    parameters = copy.deepcopy(run["spec"]["arguments"]["parameters"])
    for parameter in parameters:
        if trigger is not None and parameter["name"] == TRIGGER_PARAMETER:
            parameter["value"] = trigger
    return parameters


def _labels(flywheel: FlywheelSpec, run: dict[str, Any], trigger: str) -> dict[str, str]:
    """The labels of a triggered run: the run spec's Workflow's, the flywheel and the trigger."""
    return {**run["metadata"]["labels"], "llmops/flywheel": flywheel.name, "llmops/trigger": trigger}


def _metadata(flywheel: FlywheelSpec, run: dict[str, Any], suffix: str = "") -> dict[str, Any]:
    labels = {"app.kubernetes.io/part-of": "llmops", "llmops/flywheel": flywheel.name}
    return {"name": flywheel.name + suffix, "namespace": run["metadata"]["namespace"], "labels": labels}


def _cron_spec(schedule: Schedule) -> dict[str, Any]:
    """A CronWorkflow's schedule fields, from a flywheel's schedule section."""
    return {
        "schedules": list(schedule.cron),
        **({"timezone": schedule.timezone} if schedule.timezone else {}),
        "concurrencyPolicy": schedule.concurrency_policy,
        "startingDeadlineSeconds": schedule.starting_deadline_seconds,
        "suspend": schedule.suspend,
        "successfulJobsHistoryLimit": schedule.successful_jobs_history_limit,
        "failedJobsHistoryLimit": schedule.failed_jobs_history_limit,
    }


def cron_workflow(flywheel: FlywheelSpec, run: dict[str, Any]) -> dict[str, Any]:
    """The CronWorkflow of `flywheel.schedule`; `run`: the run spec's Workflow (`render.run_workflow`)."""
    assert flywheel.schedule is not None
    return {
        "apiVersion": API_VERSION,
        "kind": "CronWorkflow",
        "metadata": _metadata(flywheel, run),
        "spec": {
            **_cron_spec(flywheel.schedule),
            "workflowMetadata": {"labels": _labels(flywheel, run, SCHEDULE)},
            "workflowSpec": {**run["spec"], "arguments": {"parameters": _parameters(run, SCHEDULE)}},
        },
    }


def drift_run(flywheel: FlywheelSpec, run: dict[str, Any]) -> dict[str, Any]:
    """The pipeline Workflow a drifted champion starts: the schedule's, with trigger drift and a generated name."""
    metadata = {
        "generateName": f"{flywheel.name}-{DRIFT}-",
        "namespace": run["metadata"]["namespace"],
        "labels": _labels(flywheel, run, DRIFT),
    }
    spec = {**run["spec"], "arguments": {"parameters": _parameters(run, DRIFT)}}
    return {"apiVersion": API_VERSION, "kind": "Workflow", "metadata": metadata, "spec": spec}


def drift_cron_workflow(flywheel: FlywheelSpec, spec: RunSpec, run: dict[str, Any]) -> dict[str, Any]:
    """The CronWorkflow of `flywheel.drift`: the drift check on its schedule, starting `drift_run` when drifted."""
    drift = flywheel.drift
    assert drift is not None
    # every value, those a run leaves to the template's default (runspec.UNHASHED_AT_DEFAULT) too
    values = {p.name: p.value(spec) for p in parameters.PARAMETERS}
    arguments = [
        {"name": "flywheel", "value": flywheel.name},
        *({"name": name, "value": values[name]} for name in DRIFT_ARGUMENTS),
        {"name": "drift_policy", "value": json.dumps(drift.policy().model_dump(mode="json"), sort_keys=True)},
        {"name": DRIFT_WORKFLOW_PARAMETER, "value": json.dumps(drift_run(flywheel, run), sort_keys=True)},
    ]
    labels = {**_metadata(flywheel, run)["labels"], "llmops/run-spec": run["metadata"]["labels"]["llmops/run-spec"]}
    return {
        "apiVersion": API_VERSION,
        "kind": "CronWorkflow",
        "metadata": _metadata(flywheel, run, DRIFT_SUFFIX),
        "spec": {
            **_cron_spec(drift.schedule),
            "workflowMetadata": {"labels": {**labels, "llmops/check": DRIFT}},
            "workflowSpec": {"workflowTemplateRef": {"name": DRIFT_TEMPLATE}, "arguments": {"parameters": arguments}},
        },
    }


def selector(flywheel: FlywheelSpec, spec: RunSpec) -> str:
    """The events the binding answers: its discriminator, with a non-empty `source` in the payload."""
    return f'discriminator == {literal(flywheel.discriminator(spec))} && (payload?.source ?? "") != ""'


def event_binding(flywheel: FlywheelSpec, spec: RunSpec, run: dict[str, Any]) -> dict[str, Any]:
    """The WorkflowEventBinding of `flywheel.on_new_data`: a matching event submits the pipeline with the run
    spec's arguments, the event's dataset source and trigger new-data."""
    arguments = []
    for parameter in _parameters(run):
        name, value = parameter["name"], parameter["value"]
        if name == SOURCE_PARAMETER:
            event = EVENT_SOURCE
        elif name == TRIGGER_PARAMETER:
            event = literal(NEW_DATA)
        else:
            event = event_value(name, value)
        arguments.append({"name": name, "valueFrom": {"event": event}})
    return {
        "apiVersion": API_VERSION,
        "kind": "WorkflowEventBinding",
        "metadata": _metadata(flywheel, run),
        "spec": {
            "event": {"selector": selector(flywheel, spec)},
            "submit": {
                "workflowTemplateRef": copy.deepcopy(run["spec"]["workflowTemplateRef"]),
                # evaluated like the arguments: string literals, and the event's revision
                "metadata": {
                    "generateName": literal(f"{flywheel.name}-{NEW_DATA}-"),
                    "labels": {key: literal(value) for key, value in _labels(flywheel, run, NEW_DATA).items()},
                    "annotations": {REVISION_ANNOTATION: 'string(payload?.revision ?? "")'},
                },
                "arguments": {"parameters": arguments},
            },
        },
    }


def manifests(flywheel: FlywheelSpec, spec: RunSpec, run: dict[str, Any]) -> list[dict[str, Any]]:
    """The flywheel's objects: the CronWorkflow when it has a schedule, the binding when new data triggers it,
    the drift check's CronWorkflow when drift does."""
    docs = [cron_workflow(flywheel, run)] if flywheel.schedule is not None else []
    if flywheel.on_new_data is not None and flywheel.on_new_data.enabled:
        docs.append(event_binding(flywheel, spec, run))
    if flywheel.drift is not None:
        docs.append(drift_cron_workflow(flywheel, spec, run))
    return docs
