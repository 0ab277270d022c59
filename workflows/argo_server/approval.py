"""Answer a run waiting at its approval step on a cluster, the way the Argo UI does.

The run's approval node is an Argo `suspend` whose output `approve` is supplied by a person. Approving
sets it to YES, rejecting to NO (the same values `llmops approve|reject` give a local run, so the rollout
step decides alike: NO skips the rollout and the run ends with the candidate not released); both record
who and why as the node's message. One `set` call aimed at that node only (`nodeFieldSelector=id=...`)
gives it the output, the message and the phase Succeeded: what the server's `resume` with a node selector
does, plus the values, at once. (A `set` then `resume` pair would lose the message where the server records
"Resumed by: <user>", and a failure between the two would leave a node that can no longer be set.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from steps.errors import NotFoundError, StepFailedError
from workflows.argo_server.connection import Connection
from workflows.pipeline import APPROVAL_PARAMETER, APPROVAL_STEP


class NotWaitingError(StepFailedError):
    """The run exists but no approval node is waiting (finished, not there yet, or already answered)."""


@dataclass(frozen=True)
class Decision:
    name: str
    namespace: str
    node_id: str
    value: str  # what the approval node now outputs: YES or NO
    message: str
    url: str


def waiting_approval(workflow: dict[str, Any]) -> dict[str, Any]:
    """The approval node that waits for an answer: a Suspend node still Running, taking `approve`."""
    name = (workflow.get("metadata") or {}).get("name", "?")
    status = workflow.get("status") or {}
    nodes = list((status.get("nodes") or {}).values())
    waiting = [n for n in nodes if n.get("type") == "Suspend" and n.get("phase") == "Running"]
    approval = [n for n in waiting if n.get("displayName") == APPROVAL_STEP]
    if approval:
        return approval[0]
    phase = status.get("phase") or "Pending"
    seen = next((n for n in nodes if n.get("displayName") == APPROVAL_STEP), None)
    if seen is not None:
        detail = f"its {APPROVAL_STEP} step is {seen.get('phase')}" + (
            f" ({seen['message']})" if seen.get("message") else ""
        )
    elif phase in ("Succeeded", "Failed", "Error"):
        detail = f"it finished ({phase}) without an {APPROVAL_STEP} step (not required, or the gate blocked)"
    else:
        detail = f"it is {phase} and has not reached its {APPROVAL_STEP} step yet"
    raise NotWaitingError(f"run {name} is not waiting for approval: {detail}")


def supplied_outputs(node: dict[str, Any]) -> list[str]:
    params = ((node.get("outputs") or {}).get("parameters")) or []
    return [p["name"] for p in params if "supplied" in (p.get("valueFrom") or {})]


def decide(conn: Connection, name: str, namespace: str, approve: bool, who: str, reason: str) -> Decision:
    """Approve (YES) or reject (NO) the run's waiting approval node; who/why become the node's message."""
    from hera.workflows import models as m

    service = conn.service()
    try:
        found = conn.call(f"get run {name}", lambda: service.get_workflow(name, namespace=namespace))
    except NotFoundError as exc:
        raise NotFoundError(f"{exc}; is {name} a run in namespace {namespace} (--namespace)?") from None
    node = waiting_approval(found.model_dump(mode="json", by_alias=True, exclude_none=True))
    answered = [p for p in (node.get("outputs") or {}).get("parameters") or [] if p.get("name") == APPROVAL_PARAMETER]
    if answered and "value" in answered[0]:
        raise NotWaitingError(
            f"run {name}: its {APPROVAL_STEP} node already holds {APPROVAL_PARAMETER}={answered[0]['value']} but "
            f"was not resumed; resume it with `argo resume {name} -n {namespace} --node-field-selector id={node['id']}`"
        )
    if APPROVAL_PARAMETER not in supplied_outputs(node):
        raise NotWaitingError(
            f"run {name}: the waiting {APPROVAL_STEP} node takes no {APPROVAL_PARAMETER!r} output "
            f"(it takes: {supplied_outputs(node) or 'none'}); was it rendered by another version of the pipeline?"
        )
    value = "YES" if approve else "NO"
    verb = "approved" if approve else "rejected"
    message = f"{verb} by {who} with llmops" + (f": {reason}" if reason else "")
    selector = f"id={node['id']}"
    set_request = m.WorkflowSetRequest(
        name=name,
        namespace=namespace,
        node_field_selector=selector,
        output_parameters=json.dumps({APPROVAL_PARAMETER: value}),
        message=message,
        phase="Succeeded",
    )
    conn.call(f"{verb[:-1]} {name}", lambda: service.set_workflow(name, set_request, namespace=namespace))
    return Decision(name, namespace, node["id"], value, message, conn.ui_url(namespace, name))
