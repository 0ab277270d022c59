"""`llmops retry` on a cluster run: Argo's own retry (`argo retry`), through the Argo Server.

The server keeps the nodes that succeeded and runs the failed ones again under the same names, so each step
finds its MLflow child run by its node id (ARGO_NODE_ID) and continues it (`steps.tracking.step_run`). Only a
finished run that did not succeed can be retried; anything else is one clear error before any change.
"""

from __future__ import annotations

from dataclasses import dataclass

from steps.errors import NotFoundError, StepFailedError
from workflows.argo_server.connection import Connection

RETRYABLE = ("Failed", "Error")


class NotRetryableError(StepFailedError):
    """The run exists but is running, waiting or succeeded: there is nothing to retry."""


@dataclass(frozen=True)
class Retried:
    name: str
    namespace: str
    was: str  # the phase the run had
    failed: list[str]  # display names of the steps that run again
    url: str


def retry(conn: Connection, name: str, namespace: str) -> Retried:
    from hera.workflows import models as m

    service = conn.service()
    try:
        found = conn.call(f"get run {name}", lambda: service.get_workflow(name, namespace=namespace))
    except NotFoundError as exc:
        raise NotFoundError(f"{exc}; is {name} a run in namespace {namespace} (--namespace)?") from None
    workflow = found.model_dump(mode="json", by_alias=True, exclude_none=True)
    status = workflow.get("status") or {}
    phase = status.get("phase") or "Pending"
    if phase not in RETRYABLE:
        detail = "it succeeded: there is nothing to retry" if phase == "Succeeded" else "wait for it to end"
        raise NotRetryableError(f"run {name} is {phase}: {detail}")
    failed = sorted(
        n.get("displayName", n.get("name", "?"))
        for n in (status.get("nodes") or {}).values()
        if n.get("type") == "Pod" and n.get("phase") in RETRYABLE
    )
    request = m.WorkflowRetryRequest(name=name, namespace=namespace)
    conn.call(f"retry {name}", lambda: service.retry_workflow(name, request, namespace=namespace))
    return Retried(name, namespace, phase, failed, conn.ui_url(namespace, name))
