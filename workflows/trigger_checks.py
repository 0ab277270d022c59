"""Offline checks of CronWorkflows and WorkflowEventBindings that their CRD schemas cannot express: what Argo
checks when one is created, or finds only when it fires (then it fails in the controller's or server's logs).

- a CronWorkflow: at least one schedule, each one robfig/cron's standard parser accepts, an IANA timezone
  (`workflows.cron_schedule`); its name's length limit is `manifest_checks.metadata_errors`'s;
- a WorkflowEventBinding: a selector, and every submitted argument an expression (`valueFrom.event`: the server
  refuses a plain `value`); a string literal that Argo would not pass verbatim is flagged.
What they submit is checked as the Workflow it is (`workflows.argo.events.submitted_workflow`): its template
reference and arguments by `reference_checks`, Strict referencing by `security_checks`.
Every problem is one line: `<kind>/<name>: <json path>: <what is wrong and what to do>`.
"""

from __future__ import annotations

from workflows.argo.events import literal_value, verbatim
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
        return _cron_errors(label, spec)
    if doc.get("kind") == "WorkflowEventBinding":
        return _binding_errors(label, spec)
    return []
