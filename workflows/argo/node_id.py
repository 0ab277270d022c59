"""Argo's node ids: what a step sees in ARGO_NODE_ID.

The workflow controller names a node `<workflow>` (the root) or `<workflow>-<FNV-1a 32-bit hash of the node
name>`, so a node created again under the same name (`argo retry`) has the same id. A task with a
`retryStrategy` runs each attempt as a child node named `<node>(<attempt - 1>)`, with its own id.
"""

from __future__ import annotations

FNV_OFFSET, FNV_PRIME = 0x811C9DC5, 0x01000193


def fnv1a_32(text: str) -> int:
    value = FNV_OFFSET
    for byte in text.encode():
        value = ((value ^ byte) * FNV_PRIME) & 0xFFFFFFFF
    return value


def node_id(workflow_name: str, node_name: str) -> str:
    return workflow_name if node_name == workflow_name else f"{workflow_name}-{fnv1a_32(node_name)}"


def attempt_node_name(node_name: str, attempt: int, retried: bool) -> str:
    """The name of the node an attempt runs in: the node itself, or `<node>(n)` under a retryStrategy."""
    return f"{node_name}({attempt - 1})" if retried else node_name
