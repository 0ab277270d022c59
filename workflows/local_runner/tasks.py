"""What one DAG task sees and decides at run time: the scope of its fields, the outcomes its `depends` reads,
whether its `when` holds, its argument values. Reads the node table and changes nothing; the engine creates
the nodes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workflows.argo.expressions import evaluate_when
from workflows.local_runner.inputs import MISSING
from workflows.local_runner.results import NodeResult
from workflows.local_runner.substitution import (
    NO_ITEM,
    MissingOutput,
    RuntimeScope,
    TaskView,
    WorkflowVars,
    substitute,
    text_of,
)


def dag_scope(nodes: dict[str, NodeResult], wf: WorkflowVars, dag: NodeResult, item: Any = NO_ITEM) -> RuntimeScope:
    """Values the fields of a task of `dag` may reference: the DAG's inputs, completed tasks, the loop item."""

    def view(task: str) -> TaskView | None:
        node = nodes.get(f"{dag.name}.{task}")
        if node is None or not node.complete:
            return None
        return TaskView(node.phase, node.outputs, node.result, node.phase not in ("Skipped", "Omitted"))

    return RuntimeScope(wf, dag.inputs, view, item)


def outcome_of(nodes: dict[str, NodeResult], dag: NodeResult) -> Callable[[str], tuple[str, list[str]]]:
    """(phase, child phases) of a completed task of `dag`, for `depends` evaluation."""

    def outcome(task: str) -> tuple[str, list[str]]:
        node = nodes[f"{dag.name}.{task}"]
        return node.phase, [nodes[c].phase for c in node.children]

    return outcome


def false_when(task: dict[str, Any], scope: RuntimeScope, where: str) -> str | None:
    """The substituted `when` of `task` if it evaluates false (the task is Skipped), else None."""
    if task.get("when") is None:
        return None
    text = substitute(text_of(task["when"]), scope, f"{where}.when")
    return None if evaluate_when(text) else text


def task_arguments(task: dict[str, Any], scope: RuntimeScope, where: str) -> dict[str, Any]:
    """Substituted argument values; MISSING for one that names an output a Skipped/Omitted task did not produce."""
    given: dict[str, Any] = {}
    for k, param in enumerate(((task.get("arguments") or {}).get("parameters")) or []):
        try:
            given[str(param["name"])] = substitute(
                text_of(param.get("value", "")), scope, f"{where}.arguments.parameters[{k}].value"
            )
        except MissingOutput:
            given[str(param["name"])] = MISSING
    return given
