"""withItems/withParam: expanding a task into items, naming the children, aggregating their outputs."""

from __future__ import annotations

import json
from typing import Any

from workflows.local_runner.errors import RunnerError
from workflows.local_runner.results import FAILED, NodeResult
from workflows.local_runner.substitution import Scope, substitute, text_of


def loop_items(task: dict[str, Any], scope: Scope, where: str) -> list[Any] | None:
    """The items of a fan-out task (withParam must substitute to a JSON list), or None for a plain task."""
    if "withItems" in task:
        items = task["withItems"]
        if not isinstance(items, list):
            raise RunnerError(f"{where}.withItems: expected a list")
        return [
            substitute(i, scope, f"{where}.withItems[{n}]") if isinstance(i, str) else i for n, i in enumerate(items)
        ]
    if "withParam" in task:
        text = substitute(text_of(task["withParam"]), scope, f"{where}.withParam")
        try:
            items = json.loads(text)
        except json.JSONDecodeError:
            items = None
        if not isinstance(items, list):
            raise RunnerError(f"{where}.withParam: {text!r} is not a JSON list")
        return items
    return None


def item_label(item: Any) -> str:
    """Argo's child name suffix: `task(0:value)`, `task(1:key1:v1,key2:v2)` for a map item."""
    if isinstance(item, dict):
        return ",".join(f"{key}:{text_of(value)}" for key, value in sorted(item.items()))
    return text_of(item)


def aggregate(children: list[NodeResult]) -> tuple[str, str, dict[str, str], str | None]:
    """(phase, message, outputs, result) of a completed fan-out group.

    Each output parameter becomes a JSON list of the Succeeded children's values, in item order; a group with
    failed children fails, and its outputs are still those of the children that succeeded (as Argo aggregates
    them, so a task whose `depends` handles the failure reads the values of the rest).
    """
    children = sorted(children, key=lambda n: n.index or 0)
    phases = [c.phase for c in children]
    done = [c for c in children if c.phase == "Succeeded"]
    names = sorted({name for c in done for name in c.outputs})
    outputs = {name: json.dumps([c.outputs[name] for c in done if name in c.outputs]) for name in names}
    results = [c.result for c in done if c.result is not None]
    result = json.dumps(results) if results else None
    if any(p in FAILED for p in phases):
        bad = sum(1 for p in phases if p in FAILED)
        return ("Failed" if "Failed" in phases else "Error"), f"{bad} of {len(children)} items failed", outputs, result
    phase = "Succeeded" if done or not children else "Skipped"
    return phase, "", outputs, result
