"""Answering a run that waits for approval, like `argo resume` / `argo stop` on the approval node."""

from __future__ import annotations

from workflows.local_runner.engine import Engine
from workflows.local_runner.errors import RunnerError, StateError
from workflows.local_runner.inputs import approval_values, supplied_names
from workflows.local_runner.results import NodeResult


def resume_suspended(engine: Engine, approve: bool, parameters: dict[str, str]) -> None:
    """Complete every suspended node (like `argo resume` / `argo stop` for the approval node)."""
    nodes = engine.suspended()
    if not nodes:
        raise StateError(f"workflow {engine.wf.name} has no suspended node to resume")
    known = {name for n in nodes for name in supplied_names(engine.template_of(n))}
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise RunnerError(
            f"resume parameters {unknown} are not supplied outputs of the suspended nodes "
            f"(they take: {sorted(known) or 'none'})"
        )
    plans: list[tuple[NodeResult, str, str, dict[str, str]]] = []
    for node in nodes:
        if not approve and not parameters:
            plans.append((node, "Failed", "rejected", {}))
            continue
        template = engine.template_of(node)
        values = approval_values(template, node.inputs, parameters, approve, f"suspend node {node.display_name!r}")
        plans.append((node, "Succeeded", "approved" if approve else "resumed with parameters", values))
    for node, phase, message, values in plans:
        engine.finish(node.name, phase, message, values)
