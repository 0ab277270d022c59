"""`{{...}}` tags: finding them, and what each one refers to (one parser for the runner and for lint).

A simple tag names one value: `{{workflow.parameters.X}}`, `{{inputs.parameters.X}}`,
`{{tasks.T.outputs.parameters.P}}`, `{{item.key}}`, ... `parse_reference` turns its text into a `Reference`
whose `kind` says what it names; whether that exists is the caller's question (the runner's scopes answer it
with values, lint with declarations). An expression tag (`{{= ...}}`) is kind EXPRESSION; `references_in`
also reads the simple references written inside one (words such as `inputs.parameters.x`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

from workflows.argo.errors import ExpressionError
from workflows.argo.expressions import tokenize

TAG = re.compile(r"\{\{(.*?)\}\}", re.S)


class Kind(Enum):
    ITEM = "item"  # {{item}} / {{item.a.b}}: `path` holds the keys
    WORKFLOW_PARAMETER = "workflow parameter"  # {{workflow.parameters.<name>}}
    WORKFLOW_OUTPUT = "workflow output"  # {{workflow.outputs.parameters.<name>}} (a globalName)
    WORKFLOW_LABEL = "workflow label"  # {{workflow.labels.<name>}}
    WORKFLOW_ANNOTATION = "workflow annotation"  # {{workflow.annotations.<name>}}
    WORKFLOW_VARIABLE = "workflow variable"  # {{workflow.<name>}}: name, uid, status, ... (or an unknown one)
    INPUT_PARAMETER = "input parameter"  # {{inputs.parameters.<name>}}
    INPUT_PARAMETERS = "input parameters"  # {{inputs.parameters}}: all inputs as a JSON list
    TASK_STATUS = "task status"  # {{tasks.<name>.status}}
    TASK_RESULT = "task result"  # {{tasks.<name>.outputs.result}}
    TASK_PARAMETER = "task output parameter"  # {{tasks.<name>.outputs.parameters.<parameter>}}
    TASK_OTHER = "task field"  # {{tasks.<name>.<anything else>}}: `path` holds what follows the task name
    EXPRESSION = "expression"  # {{= ...}}
    OTHER = "other"


WORKFLOW_KINDS = frozenset(
    {
        Kind.WORKFLOW_PARAMETER,
        Kind.WORKFLOW_OUTPUT,
        Kind.WORKFLOW_LABEL,
        Kind.WORKFLOW_ANNOTATION,
        Kind.WORKFLOW_VARIABLE,
    }
)
INPUT_KINDS = frozenset({Kind.INPUT_PARAMETER, Kind.INPUT_PARAMETERS})
TASK_KINDS = frozenset({Kind.TASK_STATUS, Kind.TASK_RESULT, Kind.TASK_PARAMETER, Kind.TASK_OTHER})
_WORKFLOW_PREFIXES = (
    ("parameters.", Kind.WORKFLOW_PARAMETER),
    ("outputs.parameters.", Kind.WORKFLOW_OUTPUT),
    ("labels.", Kind.WORKFLOW_LABEL),
    ("annotations.", Kind.WORKFLOW_ANNOTATION),
)


@dataclass(frozen=True)
class Reference:
    """What one tag refers to. `name`: the parameter, variable, label or task; `parameter`: a task's output."""

    text: str  # the tag's content, stripped
    kind: Kind
    name: str = ""
    parameter: str = ""
    path: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{{{{{self.text}}}}}"


def parse_reference(text: str) -> Reference:
    """What the tag `{{text}}` refers to (surrounding spaces ignored)."""
    text = text.strip()
    if text.startswith("="):
        return Reference(text, Kind.EXPRESSION)
    parts = text.split(".")
    head, rest = parts[0], parts[1:]
    if head == "item":
        return Reference(text, Kind.ITEM, path=tuple(rest))
    if head == "workflow" and rest:
        key = ".".join(rest)
        for prefix, kind in _WORKFLOW_PREFIXES:
            if key.startswith(prefix):
                return Reference(text, kind, name=key[len(prefix) :])
        return Reference(text, Kind.WORKFLOW_VARIABLE, name=key)
    if head == "inputs" and rest[:1] == ["parameters"]:
        if len(rest) == 1:
            return Reference(text, Kind.INPUT_PARAMETERS)
        return Reference(text, Kind.INPUT_PARAMETER, name=".".join(rest[1:]))
    if head == "tasks" and len(rest) >= 2:
        task, field = rest[0], rest[1:]
        if field == ["status"]:
            return Reference(text, Kind.TASK_STATUS, name=task)
        if field == ["outputs", "result"]:
            return Reference(text, Kind.TASK_RESULT, name=task)
        if len(field) >= 3 and field[:2] == ["outputs", "parameters"]:
            return Reference(text, Kind.TASK_PARAMETER, name=task, parameter=".".join(field[2:]))
        return Reference(text, Kind.TASK_OTHER, name=task, path=tuple(field))
    return Reference(text, Kind.OTHER)


def tags(text: str) -> list[Reference]:
    """Every tag in `text`, parsed, in order."""
    return [parse_reference(match.group(1)) for match in TAG.finditer(text)]


def has_tags(text: str) -> bool:
    return TAG.search(text) is not None


def sole_reference(text: str) -> Reference | None:
    """The reference when `text` is exactly one tag (e.g. an argument `{{workflow.parameters.suite}}`), else None."""
    match = TAG.fullmatch(text)
    return parse_reference(match.group(1)) if match and "{{" not in match.group(1) else None


def replace_tags(text: str, replace: Callable[[Reference], str]) -> str:
    """`text` with each tag replaced by `replace(reference)`."""
    return TAG.sub(lambda match: replace(parse_reference(match.group(1))), text)


def strings(value: Any) -> Iterator[str]:
    """Every string inside a manifest fragment (mapping values and list items, recursively)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def references_in(value: Any) -> list[Reference]:
    """Every reference in a manifest fragment: each simple tag, and the simple references inside expression tags.

    An expression tag that the `when` tokenizer cannot read contributes nothing but itself (kind EXPRESSION).
    """
    found: list[Reference] = []
    for text in strings(value):
        for ref in tags(text):
            found.append(ref)
            if ref.kind is Kind.EXPRESSION:
                found += _inside_expression(ref.text[1:])
    return found


def _inside_expression(expression: str) -> list[Reference]:
    try:
        words = [token.text for token in tokenize(expression) if token.kind == "word"]
    except ExpressionError:
        return []
    inner = [parse_reference(word) for word in words]
    return [ref for ref in inner if ref.kind not in (Kind.OTHER, Kind.EXPRESSION)]
