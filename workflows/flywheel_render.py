"""A flywheel's manifests (`manifests/flywheels/<name>.yaml`): a CronWorkflow and a WorkflowEventBinding.

Both submit what the run spec's own Workflow holds (`render.run_workflow`: `workflowTemplateRef:
llmops-lora-pipeline` and the spec's arguments, nothing else, as `templateReferencing: Strict` requires),
with `trigger` set to `schedule` or `new-data`, and label the runs with the run spec, the flywheel and the
trigger.

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
from workflows.argo.events import literal, verbatim
from workflows.flywheel_spec import FlywheelSpec
from workflows.runspec import RunSpec

API_VERSION = "argoproj.io/v1alpha1"
SCHEDULE, NEW_DATA = "schedule", "new-data"
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


def _parameters(run: dict[str, Any]) -> list[dict[str, Any]]:
    return copy.deepcopy(run["spec"]["arguments"]["parameters"])


def _labels(flywheel: FlywheelSpec, run: dict[str, Any], trigger: str) -> dict[str, str]:
    """The labels of a triggered run: the run spec's Workflow's, the flywheel and the trigger."""
    return {**run["metadata"]["labels"], "llmops/flywheel": flywheel.name, "llmops/trigger": trigger}


def _metadata(flywheel: FlywheelSpec, run: dict[str, Any]) -> dict[str, Any]:
    labels = {"app.kubernetes.io/part-of": "llmops", "llmops/flywheel": flywheel.name}
    return {"name": flywheel.name, "namespace": run["metadata"]["namespace"], "labels": labels}


def cron_workflow(flywheel: FlywheelSpec, run: dict[str, Any]) -> dict[str, Any]:
    """The CronWorkflow of `flywheel.schedule`; `run`: the run spec's Workflow (`render.run_workflow`)."""
    schedule = flywheel.schedule
    assert schedule is not None
    parameters = _parameters(run)
    for parameter in parameters:
        if parameter["name"] == TRIGGER_PARAMETER:
            parameter["value"] = SCHEDULE
    return {
        "apiVersion": API_VERSION,
        "kind": "CronWorkflow",
        "metadata": _metadata(flywheel, run),
        "spec": {
            "schedules": list(schedule.cron),
            **({"timezone": schedule.timezone} if schedule.timezone else {}),
            "concurrencyPolicy": schedule.concurrency_policy,
            "startingDeadlineSeconds": schedule.starting_deadline_seconds,
            "suspend": schedule.suspend,
            "successfulJobsHistoryLimit": schedule.successful_jobs_history_limit,
            "failedJobsHistoryLimit": schedule.failed_jobs_history_limit,
            "workflowMetadata": {"labels": _labels(flywheel, run, SCHEDULE)},
            "workflowSpec": {**run["spec"], "arguments": {"parameters": parameters}},
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
    """The flywheel's objects: the CronWorkflow when it has a schedule, the binding when new data triggers it."""
    docs = [cron_workflow(flywheel, run)] if flywheel.schedule is not None else []
    if flywheel.on_new_data is not None and flywheel.on_new_data.enabled:
        docs.append(event_binding(flywheel, spec, run))
    return docs
