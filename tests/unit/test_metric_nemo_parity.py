"""Parity with NVIDIA's own metric implementations (`nemo_evaluator_sdk.metrics`, package `nemo-platform`).

Skipped unless the SDK is importable; it is not in the project's environment (about 1.3 GB and 185
packages, see docs/metrics.md). Run it with a venv that has `nemo-platform[nemo-evaluator-sdk]==0.3.0`
and pytest: `PYTHONPATH=. /path/to/venv/bin/python -m pytest tests/unit/test_metric_nemo_parity.py`.
The documented differences (several gold answers, regex, unparseable numbers or arguments, repeated
tool calls) are asserted as differences, so a change on either side shows up here.
"""

import asyncio
import json
import math
from typing import Any

import pytest

from steps.logic.metrics import evaluate, parse_metric_specs

nemo = pytest.importorskip("nemo_evaluator_sdk.metrics")
from nemo_evaluator_sdk.metrics.exact_match import ExactMatchMetric  # noqa: E402
from nemo_evaluator_sdk.metrics.f1 import F1Metric  # noqa: E402
from nemo_evaluator_sdk.metrics.number_check import NumberCheckMetric  # noqa: E402
from nemo_evaluator_sdk.metrics.string_check import StringCheckMetric  # noqa: E402
from nemo_evaluator_sdk.metrics.tool_calling import ToolCallingMetric  # noqa: E402
from nemo_evaluator_sdk.values.protocol import CandidateOutput, DatasetRow, MetricInput  # noqa: E402

TEXTS = [
    ("The Eiffel Tower", "eiffel tower"),
    ("Barack Obama.", "Obama"),
    ("  an apple a day ", "apple day"),
    ("Ünïcödé café", "ünïcödé café"),
    ("1,000 dollars", "1000 dollars"),
    ("", ""),
    ("", "something"),
    ("the", ""),
    ("New York City", "new york"),
    ("It's 42!", "its 42"),
    ("cat cat dog", "cat dog dog"),
]


def nemo_scores(metric: Any, item: dict, output_text: str = "", tool_calls: list | None = None) -> dict[str, float]:
    response = {"choices": [{"message": {"role": "assistant", "content": output_text, "tool_calls": tool_calls}}]}
    metric_input = MetricInput(
        row=DatasetRow(data=item), candidate=CandidateOutput(output_text=output_text, response=response)
    )
    result = asyncio.run(metric.compute_scores(metric_input))
    return {output.name: output.value for output in result.outputs}


def our_scores(spec: dict, item: dict, output_text: str = "", tool_calls: list | None = None) -> dict[str, float]:
    [parsed] = parse_metric_specs([{"name": "m", **spec}])
    sample = {"output_text": output_text, "tool_calls": tool_calls}
    result = evaluate([parsed], [{"id": "r", **item}], [sample])
    return {name.removeprefix("m."): score.items[0].value for name, score in result.scores.items()}


@pytest.mark.parametrize(("prediction", "reference"), TEXTS)
def test_exact_match_and_f1(prediction, reference):
    item = {"answer": reference}
    for nemo_metric, spec in [
        (ExactMatchMetric(reference="{{item.answer}}"), {"type": "exact-match", "reference": "{{item.answer}}"}),
        (F1Metric(reference="{{item.answer}}"), {"type": "f1", "reference": "{{item.answer}}"}),
    ]:
        assert our_scores(spec, item, prediction) == nemo_scores(nemo_metric, item, prediction)


STRING_OPERATIONS = ["equals", "==", "!=", "<>", "not equals", "contains", "not contains", "startswith", "endswith"]


@pytest.mark.parametrize("operation", STRING_OPERATIONS)
@pytest.mark.parametrize(("left", "right"), [("Paris", "Paris"), ("It is Paris.", "Paris"), ("paris", "Paris")])
def test_string_check(operation, left, right):
    templates = {"left_template": "{{sample.output_text}}", "operation": operation, "right_template": "{{item.c}}"}
    item = {"c": right}
    expected = nemo_scores(StringCheckMetric(**templates), item, left)
    assert our_scores({"type": "string-check", **templates}, item, left) == expected


NUMBER_OPERATIONS = ["equals", "!=", ">=", "gt", "less than", "<="]


@pytest.mark.parametrize("operation", [*NUMBER_OPERATIONS, "absolute difference"])
@pytest.mark.parametrize("answer", ["The answer is 12.", "12.0", "11.6", "-3", "it was 7 then 13", "1,012"])
def test_number_check(operation, answer):
    templates = {"left_template": "{{item.n}}", "operation": operation, "right_template": "{{sample.output_text}}"}
    epsilon = {"epsilon": 0.5} if operation == "absolute difference" else {}
    item = {"n": "12"}
    expected = nemo_scores(NumberCheckMetric(**templates, **epsilon), item, answer)
    assert our_scores({"type": "number-check", **templates, **epsilon}, item, answer) == expected


def test_number_check_without_a_number_is_nan_there_and_wrong_here():
    templates = {"left_template": "{{item.n}}", "operation": "equals", "right_template": "{{sample.output_text}}"}
    assert math.isnan(nemo_scores(NumberCheckMetric(**templates), {"n": "3"}, "no idea")["number-check"])
    assert our_scores({"type": "number-check", **templates}, {"n": "3"}, "no idea") == {"number-check": 0.0}


def call(name: str, arguments: dict, as_text: bool) -> dict:
    return {
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments) if as_text else arguments},
    }


GOLD = [("get_weather", {"city": "Paris", "days": 3}), ("get_time", {"zone": "CET"})]
MADE = {
    "same": GOLD,
    "reordered": GOLD[::-1],
    "wrong argument": [GOLD[0], ("get_time", {"zone": "cet"})],
    "wrong name case": [("Get_weather", GOLD[0][1]), GOLD[1]],
    "missing call": GOLD[:1],
    "extra call": [*GOLD, ("get_news", {})],
    "float for int": [("get_weather", {"city": "Paris", "days": 3.0}), GOLD[1]],
    "no calls": [],
}


@pytest.mark.parametrize("case", list(MADE))
def test_tool_calling(case):
    item = {"tool_calls": [call(name, arguments, as_text=False) for name, arguments in GOLD]}
    made = [call(name, arguments, as_text=True) for name, arguments in MADE[case]]
    expected = nemo_scores(ToolCallingMetric(reference="{{item.tool_calls}}"), item, tool_calls=made)
    assert our_scores({"type": "tool-calling"}, item, tool_calls=made) == expected


def test_tool_calling_differences():
    metric = ToolCallingMetric(reference="{{item.tool_calls}}")
    item = {"tool_calls": [call("f", {"a": 1}, as_text=False)]}
    repeated = [call("f", {"a": 1}, as_text=True)] * 2  # NeMo compares name sets: a repeated call counts once
    assert nemo_scores(metric, item, tool_calls=repeated)["function_name_accuracy"] == 1.0
    assert our_scores({"type": "tool-calling"}, item, tool_calls=repeated)["function_name_accuracy"] == 0.0
    broken = [{"type": "function", "function": {"name": "f", "arguments": "{not json"}}]
    assert math.isnan(nemo_scores(metric, item, tool_calls=broken)["function_name_and_args_accuracy"])
    assert our_scores({"type": "tool-calling"}, item, tool_calls=broken)["function_name_and_args_accuracy"] == 0.0
