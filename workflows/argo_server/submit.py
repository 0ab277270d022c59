"""Submit a run spec's Workflow to an Argo Server, at most once.

The Workflow is the one `make render` writes for the spec (`render.run_workflow`), so a run submitted here
and the same spec synced by Argo CD are the same object. Its name carries the spec's hash: when the
server already has it (409), the existing run is reported instead of failing, and nothing is changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from steps.errors import NotFoundError
from workflows.argo_server.connection import ArgoServerError, Connection


@dataclass(frozen=True)
class Submission:
    name: str
    namespace: str
    created: bool  # False: the server already had this run
    phase: str  # the run's phase as the server reports it ("" right after creation)
    url: str  # the run in the Argo UI


def submit(conn: Connection, workflow: dict[str, Any], namespace: str | None = None) -> Submission:
    """Create `workflow` (a rendered Workflow) in `namespace` (default: its own); report an existing one."""
    from hera import exceptions as hera_errors
    from hera.workflows import models as m

    name = workflow["metadata"]["name"]
    namespace = namespace or workflow["metadata"].get("namespace")
    if not namespace:
        raise ArgoServerError(f"Workflow {name} names no namespace; pass --namespace")
    body = {**workflow, "metadata": {**workflow["metadata"], "namespace": namespace}}
    service = conn.service()
    request = m.WorkflowCreateRequest(namespace=namespace, workflow=m.Workflow.model_validate(body))
    what = f"submit Workflow {namespace}/{name}"
    try:
        created = conn.call(what, lambda: _create_or_conflict(service, request, namespace, hera_errors.AlreadyExists))
    except NotFoundError as exc:  # the namespace (or the API path) does not exist
        raise ArgoServerError(f"{exc}; does namespace {namespace} exist and is the llmops chart installed?") from None
    if created is not None:
        return Submission(name, namespace, True, _phase(created), conn.ui_url(namespace, name))
    existing = conn.call(f"get Workflow {namespace}/{name}", lambda: service.get_workflow(name, namespace=namespace))
    return Submission(name, namespace, False, _phase(existing) or "Pending", conn.ui_url(namespace, name))


def _create_or_conflict(service: Any, request: Any, namespace: str, conflict: type[Exception]) -> Any:
    """The created Workflow, or None when one of that name exists already (409)."""
    try:
        return service.create_workflow(request, namespace=namespace)
    except conflict:
        return None


def _phase(workflow: Any) -> str:
    return str(getattr(workflow.status, "phase", "") or "") if workflow.status is not None else ""
