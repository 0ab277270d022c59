"""The node records the engine adds for templates and DAG tasks, and how a DAG whose children are all done ends.

Pure: these build values from the node table and change nothing; the engine adds the nodes and finishes them.
"""

from __future__ import annotations

from typing import Any

from workflows.local_runner.manifests import Template
from workflows.local_runner.results import FAILED, NODE_TYPES, NodeResult


def template_node(target: Template, name: str, display: str, **fields: Any) -> NodeResult:
    """A node that runs `target`; its type follows the template's kind unless `fields` gives one."""
    fields.setdefault("type", NODE_TYPES[target.kind])
    return NodeResult(name=name, display_name=display, template=target.name, template_owner=target.owner, **fields)


def task_node(
    task: dict[str, Any], target: Template, name: str, display: str, parent: str, **fields: Any
) -> NodeResult:
    """A node for a DAG task (or one iteration of it) under `parent`."""
    return template_node(target, name, display, parent=parent, task=str(task["name"]), **fields)


def dag_ending(children: list[NodeResult], handled: set[str], terminated: str | None) -> tuple[str, str] | None:
    """(phase, message) of a DAG whose children are all complete, or None when it succeeds."""
    if terminated:
        return "Failed", terminated
    failed = [c for c in children if c.phase in FAILED and c.task not in handled]
    if not failed:
        return None
    phase = "Failed" if any(c.phase == "Failed" for c in failed) else "Error"
    first = failed[0]
    return phase, f"child '{first.display_name}' {first.phase.lower()}: {first.message}"
