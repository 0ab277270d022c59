"""Offline checks of CronWorkflows and WorkflowEventBindings that their CRD schemas cannot express: what Argo
checks when one is created, or finds only when it fires (then it fails in the controller's or server's logs).

- a CronWorkflow: at least one schedule, each one robfig/cron's standard parser accepts, an IANA timezone
  (`workflows.cron_schedule`); its name's length limit is `manifest_checks.metadata_errors`'s;
- a WorkflowEventBinding: a selector, and every submitted argument an expression (`valueFrom.event`: the server
  refuses a plain `value`); a string literal that Argo would not pass verbatim is flagged;
- a drift check's CronWorkflow: its `pipeline_workflow` argument is JSON of a Workflow (apiVersion
  argoproj.io/v1alpha1, a name or generateName, a namespace, a workflowTemplateRef) whose `trigger` argument is
  `drift`, and not owned by anything (its history limits must not delete the runs it starts).
What they submit is checked as the Workflow it is (`workflows.argo.events.submitted_workflow`): its template
reference and arguments by `reference_checks`, Strict referencing by `security_checks`.
Every problem is one line: `<kind>/<name>: <json path>: <what is wrong and what to do>`.
"""

from __future__ import annotations

import json

from workflows.argo.events import DRIFT_WORKFLOW_PARAMETER, embedded_text, literal_value, verbatim
from workflows.argo.templates import manifest_label
from workflows.cron_schedule import schedule_problem, timezone_problem


def _cron_errors(label: str, spec: dict) -> list[str]:
    schedules = spec.get("schedules") or []
    errors = [] if schedules else [f"{label}: $.spec.schedules: empty; a CronWorkflow needs at least one schedule"]
    for index, schedule in enumerate(schedules):
        problem = schedule_problem(str(schedule))
        if problem:
            errors.append(f"{label}: $.spec.schedules[{index}]: {problem}")
    problem = timezone_problem(str(spec.get("timezone") or ""))
    return errors + ([f"{label}: $.spec.timezone: {problem}"] if problem else [])


def _drift_errors(label: str, text: str) -> list[str]:
    where = f"{label}: $.spec.workflowSpec.arguments.parameters[{DRIFT_WORKFLOW_PARAMETER}]"
    try:
        workflow = json.loads(text)
    except ValueError as error:
        return [f"{where}: not JSON ({error}); render it with `make render`"]
    if not isinstance(workflow, dict) or workflow.get("kind") != "Workflow":
        return [f"{where}: not a Workflow (kind Workflow); the drift check creates the pipeline's run"]
    metadata, spec = workflow.get("metadata") or {}, workflow.get("spec") or {}
    errors = []
    if workflow.get("apiVersion") != "argoproj.io/v1alpha1":
        errors.append(f"{where}: apiVersion {workflow.get('apiVersion')!r}; write argoproj.io/v1alpha1")
    if not (metadata.get("name") or metadata.get("generateName")):
        errors.append(f"{where}: metadata: no name or generateName; a created Workflow needs one")
    if not metadata.get("namespace"):
        errors.append(f"{where}: metadata.namespace: missing; name the pipeline's namespace")
    if metadata.get("ownerReferences"):
        errors.append(f"{where}: metadata.ownerReferences: a drift run must outlive the check; leave them out")
    if not (spec.get("workflowTemplateRef") or {}).get("name"):
        errors.append(f"{where}: spec.workflowTemplateRef: missing; the run references the pipeline template")
    arguments = {p.get("name"): p.get("value") for p in (spec.get("arguments") or {}).get("parameters") or []}
    if arguments.get("trigger") != "drift":
        errors.append(
            f"{where}: spec.arguments trigger is {arguments.get('trigger')!r}; a run the drift check starts says drift"
        )
    return errors


def _binding_errors(label: str, spec: dict) -> list[str]:
    errors = []
    if not str((spec.get("event") or {}).get("selector") or "").strip():
        errors.append(f"{label}: $.spec.event.selector: empty; write an expression over the event (docs/flywheel.md)")
    if not spec.get("submit"):
        errors.append(f"{label}: $.spec.submit: missing; without it a matching event submits nothing")
    parameters = ((spec.get("submit") or {}).get("arguments") or {}).get("parameters") or []
    for index, parameter in enumerate(parameters):
        where = f"{label}: $.spec.submit.arguments.parameters[{index}]"
        event = (parameter.get("valueFrom") or {}).get("event")
        if not event:
            errors.append(
                f"{where}: {parameter.get('name')} has no valueFrom.event; the Argo Server refuses any other form "
                "(write a constant as a string literal expression, e.g. event: '\"value\"')"
            )
            continue
        value = literal_value(str(event))
        if value is not None and not verbatim(value):
            errors.append(
                f"{where}: {parameter.get('name')}'s literal has quotes, backslashes or control characters, which "
                "Argo passes escaped; for JSON use fromJSON(...)"
            )
    return errors


def trigger_errors(doc: dict) -> list[str]:
    """Problems of a CronWorkflow or WorkflowEventBinding (other kinds: none)."""
    label, spec = manifest_label(doc), doc.get("spec") or {}
    if doc.get("kind") == "CronWorkflow":
        embedded = embedded_text(doc)
        return _cron_errors(label, spec) + (_drift_errors(label, embedded) if embedded is not None else [])
    if doc.get("kind") == "WorkflowEventBinding":
        return _binding_errors(label, spec)
    return []
