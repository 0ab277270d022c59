"""Per-item values of the text, check and tool-calling metrics, through `evaluate` on one row each."""

import json

import pytest

from steps.errors import InvalidInputError
from steps.logic.metrics import evaluate, parse_metric_specs
from steps.logic.metrics.checks import read_number
from steps.logic.metrics.text_metrics import normalize_text, token_f1
from steps.logic.metrics.tool_calling import json_equal


def score_one(spec: dict, item: dict, sample: dict) -> dict[str, float | None]:
    [parsed] = parse_metric_specs([{"name": "m", **spec}])
    result = evaluate([parsed], [{"id": "r", **item}], [sample])
    return {
        name.split(".", 1)[1]: score.items[0].value if score.items else None for name, score in result.scores.items()
    }


def text(output: str) -> dict:
    return {"output_text": output}


def test_normalisation_is_squad():
    assert normalize_text("The  Eiffel-Tower, (in) an A.D. city!") == "eiffeltower in ad city"
    assert normalize_text("") == ""


@pytest.mark.parametrize(
    ("prediction", "reference", "expected"),
    [
        ("the cat sat", "a cat sat down", 2 * (2 / 2) * (2 / 3) / (2 / 2 + 2 / 3)),
        ("", "", 1.0),
        ("the", "", 1.0),  # both empty after normalisation
        ("cat", "", 0.0),
        ("dog", "cat", 0.0),
        ("cat cat", "cat", 2 * 0.5 * 1 / 1.5),  # multiset overlap
    ],
)
def test_token_f1(prediction, reference, expected):
    assert token_f1(prediction, reference) == pytest.approx(expected, abs=1e-15)


def test_exact_match_and_f1_take_the_best_gold():
    item = {"golds": ["Barack Obama", "Obama"]}
    assert score_one({"type": "exact-match", "reference": "{{item.golds}}"}, item, text("obama.")) == {
        "exact-match": 1.0
    }
    assert score_one({"type": "f1", "reference": "{{item.golds}}"}, item, text("President Obama")) == {
        "f1": pytest.approx(2 / 3)
    }
    assert score_one({"type": "exact-match", "reference": "{{item.n}}"}, {"n": 42}, text("42")) == {"exact-match": 1.0}


def test_text_metrics_refuse_structured_values():
    with pytest.raises(InvalidInputError, match=r"parameter 'reference' gave dict .* for row 'r'"):
        score_one({"type": "exact-match", "reference": "{{item.a}}"}, {"a": {"b": 1}}, text("x"))
    with pytest.raises(InvalidInputError, match="list of reference answers is empty"):
        score_one({"type": "f1", "reference": "{{item.a}}"}, {"a": []}, text("x"))


@pytest.mark.parametrize(
    ("operation", "left", "right", "expected"),
    [
        ("equals", "Paris", "Paris", 1.0),
        ("==", "Paris", "paris", 0.0),  # case-sensitive, as NeMo
        ("not equals", "Paris", "paris", 1.0),
        ("not-equals", "a", "a", 0.0),
        ("<>", "a", "b", 1.0),
        ("contains", "It is Paris.", "Paris", 1.0),
        ("not contains", "It is Paris.", "Rome", 1.0),
        ("not-contains", "It is Paris.", "Paris", 0.0),
        ("startswith", " yes", "yes", 0.0),  # no trimming
        ("starts-with", "yes, it is", "yes", 1.0),
        ("ends-with", "it is Paris", "Paris", 1.0),
        ("endswith", "it is Paris.", "Paris", 0.0),
        ("regex", "Order #12345 shipped", r"#\d{5}\b", 1.0),  # search anywhere
        ("regex", "Order #12345 shipped", r"^#\d+", 0.0),
    ],
)
def test_string_check(operation, left, right, expected):
    spec = {"type": "string-check", "check": ["{{sample.output_text}}", operation, "{{item.right}}"]}
    assert score_one(spec, {"right": right}, text(left)) == {"string-check": expected}


def test_string_check_bad_regex_from_the_row_names_the_row():
    spec = {"type": "string-check", "check": ["{{sample.output_text}}", "regex", "{{item.right}}"]}
    with pytest.raises(InvalidInputError, match=r"right_template' for row 'r': '\(' is not a regular expression"):
        score_one(spec, {"right": "("}, text("x"))


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("The answer is 42.", 42),
        ("from 3 to -7.5 degrees", -7.5),
        ("1,234", 234),  # NeMo's rule: a comma splits the number
        (".5", 0.5),
        ("1.2.3", None),  # two points: no number
        ("no digits", None),
        (42, 42),
        (2.5, 2.5),
        (float("nan"), None),
        (True, None),
    ],
)
def test_read_number(value, number):
    assert read_number(value) == number


@pytest.mark.parametrize(
    ("operation", "answer", "epsilon", "expected"),
    [
        ("equals", "It is 10.", None, 1.0),
        ("==", "10.0", None, 1.0),
        ("!=", "11", None, 1.0),
        ("gt", "9", None, 1.0),  # left (10) > right (9)
        ("<", "9", None, 0.0),
        ("less than or equal", "10", None, 1.0),
        ("absolute difference", "10.4", 0.5, 1.0),
        ("absolute difference", "10.6", 0.5, 0.0),
        ("absolute difference", "10.5", 0.5, 1.0),  # the bound is included
        ("equals", "no number here", None, 0.0),  # the model's side without a number fails
    ],
)
def test_number_check(operation, answer, epsilon, expected):
    spec = {"type": "number-check", "check": ["{{item.n}}", operation, "{{sample.output_text}}"], "epsilon": epsilon}
    assert score_one(spec, {"n": 10}, text(answer)) == {"number-check": expected}


def test_number_check_dataset_side_without_number_is_a_data_error():
    spec = {"type": "number-check", "check": ["{{item.n}}", "==", "{{sample.output_text}}"]}
    with pytest.raises(InvalidInputError, match=r"parameter 'left_template' .* row 'r', which holds no number"):
        score_one(spec, {"n": "unknown"}, text("3"))


def call(name: str, arguments) -> dict:
    return {"type": "function", "function": {"name": name, "arguments": arguments}}


GOLD = [call("get_weather", {"city": "Paris", "days": 3}), call("get_time", {"zone": "CET"})]


@pytest.mark.parametrize(
    ("made", "names", "args"),
    [
        (GOLD, 1.0, 1.0),
        ([call("get_time", '{"zone": "CET"}'), call("get_weather", '{"days": 3.0, "city": "Paris"}')], 1.0, 1.0),
        ([call("get_weather", {"city": "paris", "days": 3}), GOLD[1]], 1.0, 0.0),  # values are case-sensitive
        ([call("Get_weather", {"city": "Paris", "days": 3}), GOLD[1]], 0.0, 0.0),  # names are case-sensitive
        ([GOLD[0]], 0.0, 0.0),  # a missing call
        ([*GOLD, GOLD[1]], 0.0, 0.0),  # an extra (repeated) call
        ([GOLD[0], call("get_time", "{not json")], 1.0, 0.0),  # unparseable arguments match nothing
        ([GOLD[0], call("get_time", {"zone": "CET", "dst": True})], 1.0, 0.0),
        ([], 0.0, 0.0),
        (None, 0.0, 0.0),
        ([{"type": "function", "function": {}}, *GOLD], 0.0, 0.0),  # a nameless call is an extra call
    ],
)
def test_tool_calling(made, names, args):
    scores = score_one({"type": "tool-calling"}, {"tool_calls": GOLD}, {"output_text": "", "tool_calls": made})
    assert scores == {"function_name_accuracy": names, "function_name_and_args_accuracy": args}


def test_tool_calling_edge_cases():
    no_calls = {"output_text": "", "tool_calls": None}
    assert score_one({"type": "tool-calling"}, {"tool_calls": []}, no_calls) == {
        "function_name_accuracy": 1.0,
        "function_name_and_args_accuracy": 1.0,
    }
    gold_text = {"calls": json.dumps([call("f", None)])}  # JSON text; absent arguments read as {}
    spec = {"type": "tool-calling", "tool_calls_ground_truth": "{{item.calls}}"}
    assert score_one(spec, gold_text, {"tool_calls": [call("f", "{}")]}) == {
        "function_name_accuracy": 1.0,
        "function_name_and_args_accuracy": 1.0,
    }
    duplicate = [call("f", {"a": 1}), call("f", {"a": 2})]
    assert score_one({"type": "tool-calling"}, {"tool_calls": duplicate}, {"tool_calls": duplicate[::-1]}) == {
        "function_name_accuracy": 1.0,
        "function_name_and_args_accuracy": 1.0,
    }
    with pytest.raises(InvalidInputError, match="expected call 0 is not an OpenAI tool call"):
        score_one({"type": "tool-calling"}, {"tool_calls": [{"name": "f"}]}, no_calls)
    with pytest.raises(InvalidInputError, match="expected a list of tool calls"):
        score_one({"type": "tool-calling"}, {"tool_calls": {"a": 1}}, no_calls)


def test_json_equal():
    assert json_equal({"a": [1, {"b": 2.0}]}, {"a": [1.0, {"b": 2}]})
    assert not json_equal(True, 1)
    assert not json_equal([1, 2], [2, 1])
    assert not json_equal("1", 1)
    assert json_equal(None, None)
