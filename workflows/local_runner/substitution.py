"""`{{...}}` resolution: Argo simple tags over inputs, workflow variables, task outputs and loop items.

Expression tags (`{{= ...}}`) are rejected. An unknown reference raises UnresolvedReferenceError naming the
field path and the reference.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from workflows.local_runner.errors import UnresolvedReferenceError, UnsupportedFieldError

TAG = re.compile(r"\{\{(.*?)\}\}", re.S)
NO_ITEM: Any = object()


class Scope(Protocol):
    def lookup(self, ref: str) -> str: ...


class MissingOutput(LookupError):
    """A referenced output of a Skipped/Omitted task that has no `valueFrom.default`."""


def references(text: str) -> list[str]:
    return [match.group(1).strip() for match in TAG.finditer(text)]


def substitute(text: str, scope: Scope, path: str) -> str:
    """Replace every tag in `text`; `path` names the manifest field for error messages."""

    def replace(match: re.Match[str]) -> str:
        ref = match.group(1).strip()
        if ref.startswith("="):
            raise UnsupportedFieldError(
                path, f"expression tag '{{{{{ref}}}}}' is not supported by the local runner; use a simple tag"
            )
        try:
            return scope.lookup(ref)
        except MissingOutput:
            raise
        except LookupError as err:
            raise UnresolvedReferenceError(path, ref, str(err.args[0]) if err.args else "unknown reference") from None

    return TAG.sub(replace, text)


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

    def lookup(self, parts: list[str]) -> str:
        key = ".".join(parts)
        simple = {
            "name": self.name,
            "uid": self.uid,
            "namespace": self.namespace,
            "creationTimestamp": self.creation_timestamp,
            "status": self.status or "Running",
            "failures": self.failures if self.failures is not None else "[]",
            "duration": f"{self.duration or 0.0:.3f}",
        }
        if key in simple:
            return simple[key]
        for prefix, values, what in (
            ("parameters.", self.parameters, "workflow parameter"),
            ("outputs.parameters.", self.outputs, "workflow output parameter (globalName)"),
            ("labels.", self.labels, "workflow label"),
            ("annotations.", self.annotations, "workflow annotation"),
        ):
            if key.startswith(prefix):
                name = key[len(prefix) :]
                if name not in values:
                    known = ", ".join(sorted(values)) or "none"
                    raise LookupError(f"no {what} named {name!r} (known: {known})")
                return values[name]
        raise LookupError(f"'workflow.{key}' is not a workflow variable the local runner supports")


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

    def lookup(self, ref: str) -> str:
        parts = ref.split(".")
        head = parts[0]
        if head == "item":
            return self._item(parts[1:])
        if head == "workflow" and len(parts) > 1:
            return self.workflow.lookup(parts[1:])
        if head == "inputs" and len(parts) >= 2 and parts[1] == "parameters" and self.inputs is not None:
            if len(parts) == 2:
                return json.dumps([{"name": k, "value": v} for k, v in self.inputs.items()])
            name = ".".join(parts[2:])
            if name not in self.inputs:
                raise LookupError(f"the template has no input parameter {name!r} (known: {', '.join(self.inputs) or 'none'})")
            return self.inputs[name]
        if head == "tasks" and len(parts) >= 3 and self.tasks is not None:
            return self._task(parts[1], parts[2:])
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

    def _task(self, task: str, rest: list[str]) -> str:
        view = self.tasks(task) if self.tasks else None
        if view is None:
            raise LookupError(f"task {task!r} has not run (it is not in this DAG, or not a dependency that completed)")
        if rest == ["status"]:
            return view.phase
        if rest == ["outputs", "result"]:
            if view.result is None:
                raise LookupError(f"task {task!r} has no result")
            return view.result
        if len(rest) >= 3 and rest[:2] == ["outputs", "parameters"]:
            name = ".".join(rest[2:])
            if name in view.outputs:
                return view.outputs[name]
            if not view.has_outputs:
                raise MissingOutput(f"task {task!r} was {view.phase} and output {name!r} has no valueFrom.default")
            raise LookupError(f"task {task!r} has no output parameter {name!r} (known: {', '.join(view.outputs) or 'none'})")
        raise LookupError(
            f"'tasks.{task}.{'.'.join(rest)}' is not supported (use outputs.parameters.<name>, outputs.result or status)"
        )
