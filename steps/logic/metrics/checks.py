"""`string-check` and `number-check`: one comparison between two templated operands, 1 when it holds.

Both take NeMo Evaluator's parameters `left_template`, `operation`, `right_template`, or the shorter
`check: [left, operation, right]` of NeMo's v1 custom evaluations (read into the same three fields).

string-check compares the rendered texts as they are: case-sensitive, no trimming (as NeMo; write
`{{sample.output_text | trim | lower}}` to normalise). `contains` / `startswith` / `endswith` ask whether
the left text contains / starts with / ends with the right one. `regex` (ours, not in NeMo) asks whether
the right text, a Python regular expression, matches anywhere in the left (`re.search`; anchor it with
`^...$` for a whole-text match). `starts-with`, `ends-with`, `not-equals`, `not-contains` are read as
NeMo's `startswith`, `endswith`, `not equals`, `not contains`.

number-check reads a number from each side as NeMo does: the last match of `[+-]?[.\\d]*\\d+` in the text,
an integer without a decimal point, a float with one; no number (or one with two points) means the side
has none. A thousands separator splits a number ("1,234" reads as 234): strip commas in the template
(`{{ sample.output_text | replace(',', '') }}`) when answers may carry them. A template that renders to
a native number (`{{item.answer}}` holding 42) is used as it is. `absolute difference` holds when
|left - right| <= `epsilon` (required for it, refused with the other operations).
When the model's side (a template naming `sample`) has no number, the check fails (0); NeMo reports NaN
and leaves the row out of its mean instead. When the dataset's side has none, that is a data error.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import Field, model_validator

from steps.errors import InvalidInputError
from steps.logic.metrics.spec_base import MetricSpecBase, RowContext, Score
from steps.logic.metrics.templates import (
    RENDER_ERRORS,
    names_sample,
    render_template,
    template_fields,
    template_problem,
)

_ALIASES = {
    "starts-with": "startswith",
    "ends-with": "endswith",
    "not-equals": "not equals",
    "not-contains": "not contains",
}
_NUMBER = re.compile(r"[+-]?[\.\d]*\d+")

StringOperation = Literal[
    "equals", "==", "!=", "<>", "not equals", "contains", "not contains", "startswith", "endswith", "regex"
]
NumberOperation = Literal[
    "equals", "==", "!=", "<>", "not equals",
    ">=", "gte", "greater than or equal", ">", "gt", "greater than",
    "<=", "lte", "less than or equal", "<", "lt", "less than",
    "absolute difference",
]  # fmt: skip


class _Check(MetricSpecBase):
    left_template: str
    right_template: str

    @model_validator(mode="before")
    @classmethod
    def _read_check_form(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "check" in data:
            check = data.pop("check")
            if any(key in data for key in ("left_template", "operation", "right_template")):
                raise ValueError("give either `check` or left_template/operation/right_template, not both")
            if not isinstance(check, list) or len(check) != 3:
                raise ValueError(f"`check` must be a list [left, operation, right], got {check!r}")
            data["left_template"], data["operation"], data["right_template"] = check
        if isinstance(data.get("operation"), str):
            data["operation"] = _ALIASES.get(data["operation"], data["operation"])
        return data

    def templates(self) -> dict[str, str]:
        return {"left_template": self.left_template, "right_template": self.right_template}


class StringCheckSpec(_Check):
    """`string-check`: left <operation> right on the rendered texts."""

    type: Literal["string-check"]
    operation: StringOperation

    @model_validator(mode="after")
    def _constant_regex_compiles(self) -> StringCheckSpec:
        template = self.right_template
        if self.operation != "regex" or template_problem(template) is not None:
            return self
        if not template_fields(template) and not names_sample(template):
            try:
                pattern = render_template(template, {"item": {}, "sample": {}})
            except RENDER_ERRORS as exc:
                raise ValueError(f"right_template {template!r} cannot be rendered: {exc}") from exc
            try:
                re.compile(str(pattern))
            except re.error as exc:
                raise ValueError(f"right_template {template!r} is not a regular expression: {exc}") from exc
        return self

    def scores(self) -> tuple[str, ...]:
        return ("string-check",)


class NumberCheckSpec(_Check):
    """`number-check`: left <operation> right on the numbers read from the rendered operands."""

    type: Literal["number-check"]
    operation: NumberOperation
    epsilon: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _epsilon_goes_with_absolute_difference(self) -> NumberCheckSpec:
        if self.operation == "absolute difference" and self.epsilon is None:
            raise ValueError("operation 'absolute difference' needs `epsilon` (the largest allowed |left - right|)")
        if self.operation != "absolute difference" and self.epsilon is not None:
            raise ValueError(f"`epsilon` goes only with operation 'absolute difference', not {self.operation!r}")
        return self

    def scores(self) -> tuple[str, ...]:
        return ("number-check",)


def compare_text(left: str, operation: str, right: str) -> bool:
    if operation in ("equals", "=="):
        return left == right
    if operation in ("!=", "<>", "not equals"):
        return left != right
    if operation == "contains":
        return right in left
    if operation == "not contains":
        return right not in left
    if operation == "startswith":
        return left.startswith(right)
    if operation == "endswith":
        return left.endswith(right)
    if operation == "regex":
        return re.search(right, left) is not None
    raise ValueError(f"unknown string-check operation {operation!r}")


def read_number(value: Any) -> int | float | None:
    """A native number as it is; else the last number in the text (NeMo's rule), or None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value if math.isfinite(value) else None
    numbers = _NUMBER.findall(str(value))
    if not numbers:
        return None
    last = numbers[-1]
    points = last.count(".")
    if points == 0:
        try:
            return int(last)
        except ValueError:  # more digits than Python reads as an integer (sys.get_int_max_str_digits)
            return None
    return float(last) if points == 1 else None


def compare_numbers(left: float, operation: str, right: float, epsilon: float | None = None) -> bool:
    if operation in ("equals", "=="):
        return left == right
    if operation in ("!=", "<>", "not equals"):
        return left != right
    if operation in (">=", "gte", "greater than or equal"):
        return left >= right
    if operation in (">", "gt", "greater than"):
        return left > right
    if operation in ("<=", "lte", "less than or equal"):
        return left <= right
    if operation in ("<", "lt", "less than"):
        return left < right
    if operation == "absolute difference" and epsilon is not None:
        return abs(left - right) <= epsilon
    raise ValueError(f"unknown number-check operation {operation!r}")


def score_string_check(spec: StringCheckSpec, row: RowContext) -> dict[str, Score]:
    left = row.render_text(spec, "left_template", spec.left_template)
    right = row.render_text(spec, "right_template", spec.right_template)
    try:
        held = compare_text(left, spec.operation, right)
    except re.error as exc:
        raise row.fail(spec, "right_template", f"{right!r} is not a regular expression: {exc}") from exc
    return {"string-check": Score(float(held))}


def score_number_check(spec: NumberCheckSpec, row: RowContext) -> dict[str, Score]:
    numbers: list[int | float] = []
    for parameter, template in spec.templates().items():
        value = row.render(spec, parameter, template)
        number = read_number(value)
        if number is None:
            if names_sample(template):
                return {"number-check": Score(0.0, detail=f"no number in the answer ({parameter})")}
            raise InvalidInputError(
                f"metric {spec.name!r}: parameter {parameter!r} ({template!r}) gave {value!r} for row "
                f"{row.row_id!r}, which holds no number; fix the dataset field or the template"
            )
        numbers.append(number)
    left, right = numbers
    return {"number-check": Score(float(compare_numbers(left, spec.operation, right, spec.epsilon)))}
