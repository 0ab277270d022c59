"""What `retry` keeps of a run that failed, errored or was interrupted, as `argo retry` does.

- Step and suspend nodes that succeeded or were skipped are kept with their outputs: they do not run again.
- Every other step or suspend node (failed, errored, omitted, or running or pending when the run stopped) is
  removed, so the DAG creates it again with the same name.
- A DAG or fan-out group that did not succeed runs again (phase Running) with the children it kept; a fan-out
  group left with no child is removed and created again whole. The engine creates the fan-out items that are
  missing (`Engine.refill`).
- The exit handler's nodes are removed: it runs again at the end, with the retried run's status.
- Whatever is under a node that succeeded stays as it is (a failure that node's DAG handled included).
- A workflow whose entrypoint is a step that did not succeed loses its root node: the runner starts it again.

Pure logic over the node table; the runner stops what the removed nodes left running.
"""

from __future__ import annotations

from workflows.local_runner.results import NodeResult

KEPT = frozenset({"Succeeded", "Skipped"})
CONTAINERS = frozenset({"DAG", "TaskGroup"})


def retry_nodes(nodes: dict[str, NodeResult], workflow_name: str) -> list[str]:
    """Reset `nodes` in place for a retry; returns the names of the removed nodes."""
    exit_name = f"{workflow_name}.onExit"
    removed: list[str] = []

    def remove(name: str) -> None:
        node = nodes.pop(name)
        removed.append(name)
        for child in list(node.children):
            if child in nodes:
                remove(child)
        if node.parent is not None and node.parent in nodes:
            nodes[node.parent].children.remove(name)

    if exit_name in nodes:
        remove(exit_name)
    settled = {d for name, node in nodes.items() if node.phase in KEPT for d in _descendants(nodes, name)}
    # deepest first, so a container sees what is left of its children
    for name in sorted(nodes, key=lambda n: _depth(nodes, n), reverse=True):
        node = nodes.get(name)
        if node is None or node.phase in KEPT or name in settled:
            continue
        if node.type not in CONTAINERS or node.phase == "Omitted" or (node.type == "TaskGroup" and not node.children):
            remove(name)
        else:
            node.phase, node.message, node.finished, node.outputs, node.result = "Running", "", None, {}, None
    return removed


def _descendants(nodes: dict[str, NodeResult], name: str) -> list[str]:
    found = [c for c in nodes[name].children if c in nodes]
    return found + [d for c in found for d in _descendants(nodes, c)]


def _depth(nodes: dict[str, NodeResult], name: str) -> int:
    depth, parent = 0, nodes[name].parent
    while parent is not None and parent in nodes:
        depth, parent = depth + 1, nodes[parent].parent
    return depth
