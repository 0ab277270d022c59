"""What a CronWorkflow or a WorkflowEventBinding submits, and the event expressions of a binding.

A CronWorkflow creates a Workflow from its `spec.workflowSpec`; a binding, when its selector matches an event,
creates one from `spec.submit`: its `workflowTemplateRef` and its arguments, each an expression of Argo's expr
language (`valueFrom.event`) evaluated against the event (`payload`, `metadata`, `discriminator`). Argo turns
an expression's result into the parameter's value by JSON-encoding it and, for a string, removing the outer
quotes: a string with quotes, backslashes or control characters arrives escaped (`verbatim` tells which do not).
`submitted_workflow` gives the created Workflow as a manifest the Workflow checks read, with the value of each
argument that is a string literal and none for those read from the event.

A drift check's CronWorkflow runs a template that creates one more Workflow when the champion drifted: its
argument `pipeline_workflow` holds that Workflow as JSON; `embedded_workflow` reads it for the same checks.
"""

from __future__ import annotations

import json
from typing import Any

from workflows.argo.templates import manifest_label

TRIGGER_KINDS = ("CronWorkflow", "WorkflowEventBinding")
DRIFT_WORKFLOW_PARAMETER = "pipeline_workflow"  # the Workflow the drift-check template creates (JSON)


def literal(value: str) -> str:
    """`value` as a string literal of the expr language (its escapes are JSON's)."""
    return json.dumps(value, ensure_ascii=False)


def verbatim(value: str) -> bool:
    """Whether Argo passes `value`, an expression's string result, unchanged (JSON-encoding it escapes nothing
    but `<`, `>`, `&`, which Argo restores)."""
    return literal(value)[1:-1] == value and "\u2028" not in value and "\u2029" not in value


def literal_value(expression: str) -> str | None:
    """The string an expression that is only a string literal gives; None for any other expression."""
    text = expression.strip()
    if len(text) >= 2 and text[0] == text[-1] == "'" and "\\" not in text and "'" not in text[1:-1]:
        return text[1:-1]
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def submitted_workflow(doc: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(where, Workflow) of what a CronWorkflow or WorkflowEventBinding creates; None for other kinds."""
    kind, spec = doc.get("kind"), doc.get("spec") or {}
    metadata = {"name": (doc.get("metadata") or {}).get("name", "?")}
    if kind == "CronWorkflow":
        where = f"{manifest_label(doc)}: spec.workflowSpec"
        return where, {"kind": "Workflow", "metadata": metadata, "spec": spec.get("workflowSpec") or {}}
    if kind != "WorkflowEventBinding":
        return None
    submit = spec.get("submit") or {}
    parameters = []
    for parameter in (submit.get("arguments") or {}).get("parameters") or []:
        value = literal_value(str((parameter.get("valueFrom") or {}).get("event") or ""))
        parameters.append({"name": parameter.get("name"), **({"value": value} if value is not None else {})})
    workflow_spec: dict[str, Any] = {"arguments": {"parameters": parameters}}
    if submit.get("workflowTemplateRef"):
        workflow_spec["workflowTemplateRef"] = submit["workflowTemplateRef"]
    return f"{manifest_label(doc)}: spec.submit", {"kind": "Workflow", "metadata": metadata, "spec": workflow_spec}


def embedded_text(doc: dict[str, Any]) -> str | None:
    """The `pipeline_workflow` argument of a CronWorkflow's Workflow (None: it has none)."""
    if doc.get("kind") != "CronWorkflow":
        return None
    workflow_spec = (doc.get("spec") or {}).get("workflowSpec") or {}
    for parameter in (workflow_spec.get("arguments") or {}).get("parameters") or []:
        if parameter.get("name") == DRIFT_WORKFLOW_PARAMETER:
            return str(parameter.get("value") or "")
    return None


def embedded_workflow(doc: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(where, Workflow) of the Workflow a CronWorkflow's `pipeline_workflow` argument holds; None when it has no
    such argument or it is not a JSON object (`trigger_checks` reports that)."""
    text = embedded_text(doc)
    if text is None:
        return None
    try:
        workflow = json.loads(text)
    except ValueError:
        return None
    if not isinstance(workflow, dict):
        return None
    metadata = workflow.get("metadata") or {}
    name = metadata.get("name") or metadata.get("generateName") or "?"
    where = f"{manifest_label(doc)}: spec.workflowSpec.arguments.{DRIFT_WORKFLOW_PARAMETER}"
    return where, {**workflow, "metadata": {**metadata, "name": name}}
