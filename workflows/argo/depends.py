"""`depends` (task-result logic) of a DAG task: parse to a tree, list what it references, evaluate.

`depends` is over task names: `task`, `task.Succeeded|Failed|Errored|Skipped|Omitted|Daemoned|AnySucceeded|
AllFailed`, with `&&`, `||`, `!` and parentheses (the grammar of `expressions.py`); a bare `task` means
`task.Succeeded || task.Skipped || task.Daemoned`. `dependencies: [a, b]` is the older form of `a && b`.
The local runner evaluates the tree; `llmops lint` checks the task names in it (`Depends.refs()`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from workflows.argo.errors import ExpressionError, ManifestError
from workflows.argo.expressions import Node, Parser, tokenize

RESULTS = ("Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed")
FAILURE_RESULTS = frozenset({"Failed", "Errored", "AllFailed"})
_DEPENDS_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


class DependsRef(NamedTuple):
    """One task reference of a `depends` expression: `task` (result None) or `task.<result>`."""

    task: str
    result: str | None


def _depends_atom(parser: Parser) -> Node:
    group = parser.parse_group()
    if group is not None:
        return group
    token = parser.take()
    if token.kind != "word":
        raise ExpressionError(f"unexpected {token.text!r}")
    task, _, prop = token.text.partition(".")
    if not _DEPENDS_NAME.match(task):
        raise ExpressionError(f"{token.text!r} is not a task name")
    if prop and prop not in RESULTS:
        raise ExpressionError(f"unknown task result {prop!r} in {token.text!r}; use one of {', '.join(RESULTS)}")
    return ("ref", task, prop or None)


@dataclass(frozen=True)
class Depends:
    text: str
    tree: Node

    def refs(self) -> list[DependsRef]:
        """Every task reference, in the order written (a task may appear more than once)."""
        return [DependsRef(node[1], node[2]) for node in _refs(self.tree)]

    def tasks(self) -> set[str]:
        return {ref.task for ref in self.refs()}

    def failure_handled(self) -> set[str]:
        """Tasks whose failure this expression explicitly handles (`.Failed`, `.Errored`, `.AllFailed`)."""
        return {ref.task for ref in self.refs() if ref.result in FAILURE_RESULTS}

    def evaluate(self, outcome: Callable[[str], tuple[str, list[str]]]) -> bool:
        """`outcome(task)` gives (phase, child phases) of a completed task."""
        return _eval_depends(self.tree, outcome)


def _refs(node: Node) -> list[Node]:
    if node[0] == "ref":
        return [node]
    return [ref for child in node[1:] if isinstance(child, tuple) for ref in _refs(child)]


def _eval_depends(node: Node, outcome: Callable[[str], tuple[str, list[str]]]) -> bool:
    kind = node[0]
    if kind == "lit":
        return bool(node[1])
    if kind == "not":
        return not _eval_depends(node[1], outcome)
    if kind == "and":
        return _eval_depends(node[1], outcome) and _eval_depends(node[2], outcome)
    if kind == "or":
        return _eval_depends(node[1], outcome) or _eval_depends(node[2], outcome)
    phase, children = outcome(node[1])
    prop = node[2]
    if prop is None:
        return phase in ("Succeeded", "Skipped")
    if prop == "Daemoned":
        return False
    if prop == "AnySucceeded":
        return any(p == "Succeeded" for p in (children or [phase]))
    if prop == "AllFailed":
        kids = children or [phase]
        return all(p == "Failed" for p in kids)
    return phase == {"Errored": "Error"}.get(prop, prop)


def parse_depends(text: str) -> Depends:
    try:
        return Depends(text, Parser(tokenize(text), _depends_atom).parse())
    except ExpressionError as err:
        raise ExpressionError(f"cannot parse depends expression {text!r}: {err}") from None


def depends_from_dependencies(names: Sequence[str]) -> Depends:
    """`dependencies: [a, b]` means every listed task Succeeded (or was Skipped)."""
    text = " && ".join(names)
    return parse_depends(text) if names else Depends("", ("lit", True))


def task_depends(task: dict[str, Any]) -> Depends:
    """What a DAG task waits for: its `depends`, else its `dependencies` (none: it starts at once).

    Raises ManifestError when both are set, ExpressionError when `depends` does not parse.
    """
    if task.get("depends") is not None:
        if task.get("dependencies"):
            raise ManifestError("set either depends or dependencies, not both")
        return parse_depends(str(task["depends"]))
    return depends_from_dependencies([str(d) for d in task.get("dependencies") or []])


def depends_field(task: dict[str, Any]) -> str:
    """The field that holds a task's dependencies, for messages: `depends` or `dependencies`."""
    return "depends" if task.get("depends") is not None else "dependencies"
