"""The metric types: one spec class in `MetricSpec` and one scorer in `SCORERS` per type.

Adding a type (e.g. `llm-judge`) is one class in the union and one entry in the table; a scorer that
needs a service (a judge endpoint) is passed to `evaluate(..., scorers={"llm-judge": fn})` by the step
that owns the client, so this package stays pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from steps.errors import InvalidInputError
from steps.logic.field_paths import dotted, one_line
from steps.logic.metrics.checks import NumberCheckSpec, StringCheckSpec, score_number_check, score_string_check
from steps.logic.metrics.json_fields import JsonFieldsSpec, score_json_fields
from steps.logic.metrics.llm_judge import LlmJudgeSpec
from steps.logic.metrics.spec_base import MetricSpecBase, RowContext, Score
from steps.logic.metrics.templates import template_fields
from steps.logic.metrics.text_metrics import ExactMatchSpec, F1Spec, score_exact_match, score_f1
from steps.logic.metrics.tool_calling import ToolCallingSpec, score_tool_calling

MetricSpec = Annotated[
    ExactMatchSpec | F1Spec | StringCheckSpec | NumberCheckSpec | ToolCallingSpec | JsonFieldsSpec | LlmJudgeSpec,
    Field(discriminator="type"),
]

Scorer = Callable[[Any, RowContext], Mapping[str, Score]]

SCORERS: dict[str, Scorer] = {
    "exact-match": score_exact_match,
    "f1": score_f1,
    "string-check": score_string_check,
    "number-check": score_number_check,
    "tool-calling": score_tool_calling,
    "json-fields": score_json_fields,
}  # llm-judge: the step that owns the judge client passes its scorer (steps/judging.py)
TYPES = (*SCORERS, "llm-judge")

_SPECS: TypeAdapter[list[MetricSpec]] = TypeAdapter(list[MetricSpec])


def parse_metric_specs(data: Any, where: str = "evaluation.metrics") -> list[MetricSpec]:
    """Read a list of metric specs (`{name, type, ...parameters}`); every problem is named in one error."""
    try:
        specs = _SPECS.validate_python(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            location = list(error["loc"])
            path = where
            if location and isinstance(location[0], int):
                path += f"[{location.pop(0)}]"
                if location and location[0] in TYPES:
                    location.pop(0)  # the discriminator's tag
            if location:
                path += "." + dotted(location)
            problems.append(f"{path}: {one_line(error['msg'])}")
        raise InvalidInputError("invalid metric specs:\n  " + "\n  ".join(problems)) from exc
    names = [spec.name for spec in specs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InvalidInputError(
            f"{where}: metric name(s) {repeated} used more than once; give each metric its own name"
        )
    return specs


def score_names(spec: MetricSpecBase) -> tuple[str, ...]:
    """The full score names of a metric, `<metric name>.<score name>` (NeMo's aggregate naming)."""
    return tuple(f"{spec.name}.{score}" for score in spec.scores())


def item_fields(spec: MetricSpecBase) -> set[str]:
    """The dataset fields that the metric's templates name."""
    return set().union(*(template_fields(template) for template in spec.templates().values()))


def headline_of(specs: Sequence[MetricSpecBase], requested: str = "") -> str:
    """The score the gate compares: the requested one if a metric reports it, else the first metric's first score."""
    available = [name for spec in specs for name in score_names(spec)]
    if not available:
        raise InvalidInputError("no metrics: list at least one metric to evaluate")
    if not requested:
        return available[0]
    if requested not in available:
        raise InvalidInputError(
            f"headline {requested!r} is not a score of the metrics; choose one of: {', '.join(available)}"
        )
    return requested


def missing_fields(specs: Sequence[MetricSpecBase], rows: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Metric name -> the item fields its templates name that some row lacks (metrics that lack none are left out)."""
    present = set.intersection(*(set(row) for row in rows)) if rows else set()
    missing = {spec.name: sorted(item_fields(spec) - present) for spec in specs}
    return {name: fields for name, fields in missing.items() if fields}
