"""`{{...}}` resolution: Argo simple tags over inputs, workflow variables, task outputs and loop items.

What a tag refers to is read by `workflows.argo.references`; the scopes here give its value. Expression tags
(`{{= ...}}`) are rejected. An unknown reference raises UnresolvedReferenceError naming the field path and the
reference.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from workflows.argo.references import TASK_KINDS, WORKFLOW_KINDS, Kind, Reference, replace_tags
from workflows.local_runner.errors import UnresolvedReferenceError, UnsupportedFieldError

NO_ITEM: Any = object()


class Scope(Protocol):
    def lookup(self, ref: Reference) -> str: ...


class MissingOutput(LookupError):
    """A referenced output of a Skipped/Omitted task that has no `valueFrom.default`."""


def substitute(text: str, scope: Scope, path: str) -> str:
    """Replace every tag in `text`; `path` names the manifest field for error messages."""

    def replace(ref: Reference) -> str:
        if ref.kind is Kind.EXPRESSION:
            raise UnsupportedFieldError(
                path, f"expression tag '{ref}' is not supported by the local runner; use a simple tag"
            )
        try:
            return scope.lookup(ref)
        except MissingOutput:
            raise
        except LookupError as err:
            reason = str(err.args[0]) if err.args else "unknown reference"
            raise UnresolvedReferenceError(path, ref.text, reason) from None

    return replace_tags(text, replace)


def substitute_value(value: Any, scope: Scope, path: str) -> Any:
    """Substitute strings; leave other scalars alone."""
    return substitute(value, scope, path) if isinstance(value, str) else value


def text_of(value: Any) -> str:
    """Argo's string form of a parameter or item value (JSON for non-strings, compact, keys sorted)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass
class WorkflowVars:
    name: str
    uid: str
    namespace: str
    creation_timestamp: str
    parameters: dict[str, str]
    outputs: dict[str, str]
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    status: str | None = None  # set for the exit handler
    failures: str | None = None
    duration: float | None = None

    def lookup(self, ref: Reference) -> str:
        """Value of a `{{workflow.*}}` reference (kind in WORKFLOW_KINDS)."""
        if ref.kind is Kind.WORKFLOW_VARIABLE:
            simple = {
                "name": self.name,
                "uid": self.uid,
                "namespace": self.namespace,
                "creationTimestamp": self.creation_timestamp,
                "status": self.status or "Running",
                "failures": self.failures if self.failures is not None else "[]",
                "duration": f"{self.duration or 0.0:.3f}",
            }
            if ref.name in simple:
                return simple[ref.name]
            raise LookupError(f"'workflow.{ref.name}' is not a workflow variable the local runner supports")
        values, what = {
            Kind.WORKFLOW_PARAMETER: (self.parameters, "workflow parameter"),
            Kind.WORKFLOW_OUTPUT: (self.outputs, "workflow output parameter (globalName)"),
            Kind.WORKFLOW_LABEL: (self.labels, "workflow label"),
            Kind.WORKFLOW_ANNOTATION: (self.annotations, "workflow annotation"),
        }[ref.kind]
        if ref.name not in values:
            known = ", ".join(sorted(values)) or "none"
            raise LookupError(f"no {what} named {ref.name!r} (known: {known})")
        return values[ref.name]


@dataclass
class TaskView:
    phase: str
    outputs: dict[str, str]
    result: str | None = None
    has_outputs: bool = True  # False for Skipped/Omitted nodes: missing outputs raise MissingOutput


class RuntimeScope:
    """Values visible to one template invocation (or one DAG's task fields)."""

    def __init__(
        self,
        workflow: WorkflowVars,
        inputs: dict[str, str] | None = None,
        tasks: Callable[[str], TaskView | None] | None = None,
        item: Any = NO_ITEM,
    ) -> None:
        self.workflow = workflow
        self.inputs = inputs
        self.tasks = tasks
        self.item = item

    def lookup(self, ref: Reference) -> str:
        if ref.kind is Kind.ITEM:
            return self._item(list(ref.path))
        if ref.kind in WORKFLOW_KINDS:
            return self.workflow.lookup(ref)
        if ref.kind is Kind.INPUT_PARAMETERS and self.inputs is not None:
            return json.dumps([{"name": k, "value": v} for k, v in self.inputs.items()])
        if ref.kind is Kind.INPUT_PARAMETER and self.inputs is not None:
            if ref.name not in self.inputs:
                known = ", ".join(self.inputs) or "none"
                raise LookupError(f"the template has no input parameter {ref.name!r} (known: {known})")
            return self.inputs[ref.name]
        if ref.kind in TASK_KINDS and self.tasks is not None:
            return self._task(ref)
        raise LookupError("not a reference the local runner knows at this place")

    def _item(self, keys: list[str]) -> str:
        if self.item is NO_ITEM:
            raise LookupError("'item' is only defined in a task with withItems or withParam")
        value = self.item
        for key in keys:
            if not isinstance(value, dict) or key not in value:
                raise LookupError(f"item {text_of(self.item)} has no key {key!r}")
            value = value[key]
        return text_of(value)

    def _task(self, ref: Reference) -> str:
        task = ref.name
        view = self.tasks(task) if self.tasks else None
        if view is None:
            raise LookupError(f"task {task!r} has not run (it is not in this DAG, or not a dependency that completed)")
        if ref.kind is Kind.TASK_STATUS:
            return view.phase
        if ref.kind is Kind.TASK_RESULT:
            if view.result is None:
                raise LookupError(f"task {task!r} has no result")
            return view.result
        if ref.kind is Kind.TASK_PARAMETER:
            name = ref.parameter
            if name in view.outputs:
                return view.outputs[name]
            if not view.has_outputs:
                raise MissingOutput(f"task {task!r} was {view.phase} and output {name!r} has no valueFrom.default")
            known = ", ".join(view.outputs) or "none"
            raise LookupError(f"task {task!r} has no output parameter {name!r} (known: {known})")
        raise LookupError(f"'{ref.text}' is not supported (use outputs.parameters.<name>, outputs.result or status)")
