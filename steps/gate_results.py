"""The evaluation results the gate receives, as Argo hands them over, turned into scores per model.

A result is a JSON object (`steps.benchmark`, `steps.business_eval`) that names what it scores: target,
candidate, base model, adapter. Argo aggregates a fan-out's outputs into a JSON list of the children's
values (each value the text a child wrote), and a fan-out of fan-outs into a list of such lists; `flatten`
reads any of these shapes, so the gate takes one result, a list, or the aggregate of several candidates.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from pydantic import ValidationError

from steps.errors import InvalidInputError
from steps.logic.gate_policy import Score


def flatten(raw: str, field: str) -> list[dict]:
    """Every result object in `raw` (an object, a list, or lists of JSON texts of either); [] for ''."""
    if not raw.strip():
        return []
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"gate: {field} is not JSON ({exc})") from None
    out: list[dict] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            try:
                walk(json.loads(node))
            except json.JSONDecodeError as exc:
                raise InvalidInputError(f"gate: {field} holds text that is not JSON ({exc})") from None
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            out.append(node)
        else:
            raise InvalidInputError(f"gate: {field} holds {node!r}, not a result object")

    walk(value)
    return out


def scores(results: list[dict], kind: str, field: str) -> list[Score]:
    """Scores of evaluation results; `items`, the per-item values, are optional (None when absent). A business
    result also gives its other scores (`other_scores`, without per-item values)."""
    name_key = "benchmark" if kind == "benchmark" else "metric"
    out: list[Score] = []
    for number, result in enumerate(results, 1):
        try:
            out.append(
                Score(
                    name=result[name_key],
                    kind=kind,
                    value=result["score"],
                    stderr=result.get("stderr"),
                    n=result["n"],
                    items=result.get("items"),
                )
            )
            out += [
                Score(name=name, kind=kind, value=other["score"], stderr=other.get("stderr"), n=other["n"])
                for name, other in (result.get("other_scores") or {}).items()
            ]
        except KeyError as exc:
            raise InvalidInputError(f"gate: {field} result {number} has no {exc.args[0]!r}") from None
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            raise InvalidInputError(f"gate: {field} result {number} is malformed: {problems}") from None
    return out


def by_model(benchmarks: list[dict], business: list[dict], key: str, field: str) -> dict[str, list[Score]]:
    """The scores of each model, grouped on `key` of the results (candidate, or base_model; '' when absent)."""
    grouped: dict[str, list[Score]] = defaultdict(list)
    for kind, results in (("benchmark", benchmarks), ("business", business)):
        for result in results:
            grouped[str(result.get(key, ""))] += scores([result], kind, f"{field} ({kind})")
    return dict(grouped)
