"""`tool-calling`: the model's tool calls against the expected ones (OpenAI format), per item.

Calls are `{"type": "function", "function": {"name": ..., "arguments": object or JSON text}}`. The
expected calls come from `tool_calls_ground_truth` (NeMo v1's name; NeMo Platform's `reference` is read as
the same), default `{{item.tool_calls}}`: a list, or JSON text of one. The model's calls are
`sample.tool_calls` (none counts as an empty list).

- `function_name_accuracy` is 1 when the multiset of called function names equals the expected one:
  order does not matter (parallel calls), names are case-sensitive, and a missing or an extra call
  makes it 0 (a call repeated twice must be expected twice).
- `function_name_and_args_accuracy` is 1 when, in addition, the calls pair up one to one with equal
  arguments. Arguments are compared as parsed JSON: object keys in any order, 1 equals 1.0, but `true`
  never equals 1 and text is compared case-sensitively. Absent arguments read as `{}`. A model call
  whose arguments are not valid JSON matches nothing.
- No calls expected and none made scores 1 on both.

NeMo Platform 0.3.0 compares name *sets* (a repeated call counts once) and scores NaN (a row left out
of the mean) when the model's arguments are not JSON; here both count as wrong.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import AliasChoices, Field

from steps.logic.json_text import parse_json
from steps.logic.metrics.spec_base import MetricSpecBase, RowContext, Score

_INVALID = object()  # the arguments of a model call that are not valid JSON


class ToolCallingSpec(MetricSpecBase):
    """`tool-calling`: function-name and function-name-and-arguments accuracy."""

    type: Literal["tool-calling"]
    tool_calls_ground_truth: str = Field(
        default="{{item.tool_calls}}", validation_alias=AliasChoices("tool_calls_ground_truth", "reference")
    )

    def templates(self) -> dict[str, str]:
        return {"tool_calls_ground_truth": self.tool_calls_ground_truth}

    def scores(self) -> tuple[str, ...]:
        return ("function_name_accuracy", "function_name_and_args_accuracy")


def json_equal(left: Any, right: Any) -> bool:
    """Equality of parsed JSON values: numbers by value, booleans only with booleans."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(left[key], right[key]) for key in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(json_equal(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    return type(left) is type(right) and bool(left == right)


def _arguments(raw: Any) -> Any:
    if raw is None:
        return {}
    if isinstance(raw, str):
        try:
            return parse_json(raw)
        except ValueError:
            return _INVALID
    return raw


def _model_call(call: Any) -> tuple[str | None, Any]:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict):
        return None, _INVALID
    name = function.get("name")
    return (name if isinstance(name, str) else None), _arguments(function.get("arguments"))


def _expected_calls(spec: ToolCallingSpec, row: RowContext) -> list[tuple[str, Any]]:
    parameter = "tool_calls_ground_truth"
    value = row.render(spec, parameter, spec.tool_calls_ground_truth)
    if isinstance(value, str):
        try:
            value = parse_json(value) if value.strip() else []
        except ValueError as exc:
            raise row.fail(spec, parameter, f"the expected tool calls are not JSON ({exc}): {value[:200]!r}") from exc
    if value is None:
        value = []
    if not isinstance(value, list):
        raise row.fail(spec, parameter, f"expected a list of tool calls, got {type(value).__name__}")
    calls = []
    for index, call in enumerate(value):
        name, arguments = _model_call(call)
        if name is None or arguments is _INVALID:
            raise row.fail(
                spec,
                parameter,
                f"expected call {index} is not an OpenAI tool call "
                '{"type": "function", "function": {"name": ..., "arguments": {...}}} '
                f"with JSON arguments: {call!r}",
            )
        calls.append((name, arguments))
    return calls


def _pair_up(expected: list[tuple[str, Any]], made: list[tuple[str | None, Any]]) -> bool:
    """Whether every expected call has its own made call with the same name and equal arguments."""
    if len(expected) != len(made):
        return False
    left = list(made)
    for name, arguments in expected:
        match = next(
            (
                index
                for index, (made_name, made_arguments) in enumerate(left)
                if made_name == name and made_arguments is not _INVALID and json_equal(made_arguments, arguments)
            ),
            None,
        )
        if match is None:
            return False
        left.pop(match)
    return True


def score_tool_calling(spec: ToolCallingSpec, row: RowContext) -> dict[str, Score]:
    expected = _expected_calls(spec, row)
    made = [_model_call(call) for call in row.sample.get("tool_calls") or []]
    names_match = Counter(name for name, _ in expected) == Counter(name for name, _ in made)
    return {
        "function_name_accuracy": Score(float(names_match)),
        "function_name_and_args_accuracy": Score(float(names_match and _pair_up(expected, made))),
    }
