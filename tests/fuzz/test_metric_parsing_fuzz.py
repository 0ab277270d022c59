"""Fuzzing the metric parsers: the metric specs of a run spec (`parse_metric_specs`), and what reads a model's
or a judge's text (tool calls, judge scores, benchmark answers, the metrics' scorers).

- `parse_metric_specs`: a list of specs, or InvalidInputError whose every problem names its spec and field
  (`evaluation.metrics[i].field: ...`). Inputs: specs of every type mutated, with Jinja templates built
  from pieces that parse, fail to parse, or fail when rendered.
- A model's answer is never an input error: `parse_tool_calls`, the benchmark scorers and the metric
  scorers (on a valid item) return a value for any text. `parse_judgement` returns a score on the scale or
  raises JudgeParseError.
"""

from __future__ import annotations

import copy
import json
import re

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from steps.errors import InvalidInputError
from steps.logic import benchmark_scoring
from steps.logic.judge_parsing import JudgeParseError, parse_judgement
from steps.logic.judge_rubrics import Scale
from steps.logic.metrics import evaluate, item_fields, parse_metric_specs, score_names
from steps.logic.metrics.spec_base import Sample
from steps.logic.tool_call_parsing import parse_tool_calls
from tests.fuzz.strategies import FUZZ, RUN_SPECS, mutated, values

pytestmark = pytest.mark.slow  # 1,000 examples a test: 15-40 s a file on two cores

WHERE = "business_eval.metrics"
TEMPLATE_PIECES = [
    "{{", "}}", "{%", "%}", "{#", "#}", " ", "item.reference", "item['a b']", "item.n", "sample.output_text",
    "sample.tool_calls", "| lower", "| tojson", "| trim", "| nosuchfilter", "1/0", "[].pop()", "range(10**9)",
    "'(unclosed'", "x", "(", ")", "~", "'", "\n", "for a in b", "endfor", "[", "]",
]  # fmt: skip
EXPRESSIONS = ["item.reference", "item['a b']", "sample.output_text", "1/0", "[].pop()", "range(10**9) | list", "x",
               "'('", "item", "{'a': 1}", "none"]  # fmt: skip
FILTERS = [" | lower", " | tojson", " | int", " | first", " | nosuchfilter", " is nosuchtest", " | replace(',', '')"]
templates = st.one_of(
    st.lists(st.sampled_from(TEMPLATE_PIECES), max_size=8).map("".join),
    st.builds(
        lambda expression, filters, text: f"{text}{{{{ {expression}{''.join(filters)} }}}}",
        st.sampled_from(EXPRESSIONS),
        st.lists(st.sampled_from(FILTERS), max_size=2),
        st.sampled_from(["", "^", "a ", "("]),
    ),
    st.sampled_from(["{{item.reference}}", "{{sample.output_text}}", "{{ '(' }}", "{{ 1/0 }}", "^a[", "{{ [1,2] }}"]),
)
# One valid spec of every type (beside the committed run specs' metrics).
VALID = [
    {"name": "em", "type": "exact-match", "reference": "{{item.reference}}"},
    {"name": "f", "type": "f1", "reference": "{{item.golds}}", "candidate": "{{sample.output_text | trim}}"},
    {"name": "has", "type": "string-check", "check": ["{{sample.output_text}}", "contains", "{{item.reference}}"]},
    {"name": "re", "type": "string-check", "left_template": "{{sample.output_text}}", "operation": "regex",
     "right_template": "^[a-z]+$"},
    {"name": "num", "type": "number-check", "check": ["{{item.n}}", "absolute difference", "{{sample.output_text}}"],
     "epsilon": 0.5},
    {"name": "ge", "type": "number-check", "left_template": "{{sample.output_text}}", "operation": ">=",
     "right_template": "{{item.n}}"},
    {"name": "tools", "type": "tool-calling"},
    {"name": "answer", "type": "json-fields", "fields": ["x", "y"], "ignore_case": ["x"], "balanced": ["y"],
     "reference": "{{item.json}}"},
    {"name": "judge", "type": "llm-judge", "judge": {"url": "http://127.0.0.1:9/v1", "model": "m"},
     "criteria": ["correctness"], "scale": {"min": 1, "max": 5},
     "calibration": {"labels": "labels.jsonl", "min_kappa": 0.4}},
]  # fmt: skip
METRIC_LISTS = [VALID, *(spec["business_eval"]["metrics"] for spec in RUN_SPECS if "business_eval" in spec)]


@st.composite
def metric_lists(draw: st.DrawFn) -> object:
    """Metric lists mutated, some of their templates replaced by generated ones."""
    metrics = draw(mutated(METRIC_LISTS) if draw(st.booleans()) else st.sampled_from(METRIC_LISTS).map(copy.deepcopy))
    if isinstance(metrics, list):
        for spec in metrics:
            if isinstance(spec, dict) and draw(st.integers(0, 3)) == 0:
                key = draw(st.sampled_from(["reference", "candidate", "left_template", "right_template", "check"]))
                spec[key] = draw(templates) if key != "check" else [draw(templates), "regex", draw(templates)]
    return metrics


@FUZZ
@given(metrics=st.one_of(metric_lists(), metric_lists(), values))
@example(metrics=[{"name": "re", "type": "string-check", "check": ["a", "regex", "{{ 1/0 }}"]}])  # raised in check
@example(metrics=[{"name": "x", "type": "f1", "reference": "{{item.a}}", "\r": 1}])  # a key that breaks lines
@example(metrics=[{"name": "x", "type": "f1", "reference": "{{ item.a | nosuchfilter }}"}])  # TemplateAssertionError
@example(metrics=[{"name": "answer", "type": "\n", "fields": ["a"]}])  # a line break quoted in the message
def test_parse_metric_specs(metrics: object) -> None:
    try:
        specs = parse_metric_specs(metrics, WHERE)
    except InvalidInputError as error:
        event("refused")
        message = str(error)
        message.encode("utf-8")
        head, *problems = message.split("\n")
        if problems:  # schema problems: one line each, `where[i].field: ...`
            assert head == "invalid metric specs:", message
            assert all(re.match(rf"  {re.escape(WHERE)}(\[\d+\])?(\.\S+)?: ", line) for line in problems), message
        else:
            assert head.startswith(f"{WHERE}: "), message
        return
    event("accepted")
    for spec in specs:
        assert score_names(spec) and isinstance(item_fields(spec), set)


# The texts models answer with: prose, JSON calls in the shapes the parser reads, tags, fences, numbers. (Numbers
# past Python's 4300-digit limit and nesting past the JSON decoder's recursion are in explicit examples: texts
# that long would take most of the time.)
CALL_PIECES = [
    "<tool_call>", "</tool_call>", "```json\n", "```", "\n", " ", "{", "}", "[", "]", ",", ":",
    '{"name": "f", "arguments": {"a": 1}}', '{"name": "g", "parameters": "{\\"b\\": 2}"}',
    '{"type": "function", "function": {"name": "h", "arguments": "{}"}}', '"name"', '"arguments"', "null",
    "1" * 50, "[[[[[[[[", '"\\ud800"', "Score: 4", "4/5", "**5**", "final score = 3", "Rationale: ok",
    '{"score": 5, "rationale": "fine"}', "#### 42", "$1,234.5", "-7", "the", "3.5", "out of", "8/10",
]  # fmt: skip
names = st.one_of(st.sampled_from(["f", "get_weather", "f", " ", ""]), st.text(min_size=1, max_size=6))
objects = st.dictionaries(st.text(max_size=4), values, max_size=3)
arguments = st.one_of(objects, objects, objects.map(json.dumps), values)
call_values = st.one_of(
    st.fixed_dictionaries({"name": names, "arguments": arguments}),
    st.fixed_dictionaries({"name": names, "parameters": arguments.map(json.dumps)}, optional={"id": values}),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["function", "tool"]), "function": st.fixed_dictionaries({"name": names})},
        optional={"id": values},
    ),
)
calls_text = st.builds(
    lambda before, calls, wrap, after: before + wrap.format(json.dumps(calls, allow_nan=True)) + after,
    st.text(max_size=10),
    st.one_of(call_values, st.lists(call_values, max_size=3)),
    st.sampled_from(["{}", "<tool_call>{}</tool_call>", "<tool_call>{}", "```json\n{}\n```", "{0} {0}", "[{}]"]),
    st.sampled_from(["", " ", "\nDone.", "}"]),
)
judge_text = st.builds(
    lambda before, label, score, top, after: f"{before}{label}{score}{top}{after}",
    st.sampled_from(["", "Rationale: fine.\n", "The answer is right. ", "**"]),
    st.sampled_from(["Score: ", "**Rating:** ", "Final score = ", "Grade (1-5): ", "score is ", "", '{"score": ']),
    st.one_of(st.integers(0, 6), st.integers(-2, 12), st.floats(), st.sampled_from(["3.0", "٣", "five", "true"])),
    st.sampled_from(["", "", "", "/5", "/10", " out of 5", "/" + "5" * 30, "}"]),
    st.sampled_from(["", "", "\n", ".", "\nScore: 2", ', "rationale": "ok"}', "**"]),
)
answers = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(CALL_PIECES) | st.text(max_size=5), max_size=10).map("".join),
    values.map(lambda value: json.dumps(value, allow_nan=True)),
    calls_text,
    judge_text,
)


@FUZZ
@given(text=st.integers(0, 2).flatmap(lambda pick: calls_text if pick else answers))  # two in three: calls
@example(text='[{"name": "f", "arguments": {"n": ' + "1" * 5000 + "}}]")  # over Python's 4300-digit int limit
@example(text="[" * 3000)  # nested deeper than the JSON decoder's recursion
def test_parse_tool_calls(text: str) -> None:
    reply = parse_tool_calls(text)
    event("calls" if reply.tool_calls else "no call")
    assert reply.content is None or isinstance(reply.content, str)
    for call in reply.tool_calls:
        assert call["type"] == "function" and call["function"]["name"].strip()
        assert isinstance(json.loads(call["function"]["arguments"]), dict)


@FUZZ
@given(
    text=st.integers(0, 2).flatmap(lambda pick: judge_text if pick else answers),  # two in three: a judge's answer
    scale=st.sampled_from([Scale(), Scale(min=0, max=1), Scale(min=0, max=10)]),
)
@example(text="Score: 4/" + "5" * 5000, scale=Scale())  # a fraction's top over the 4300-digit limit
@example(text='{"score": ' + "[" * 3000, scale=Scale())
def test_parse_judgement(text: str, scale: Scale) -> None:
    try:
        score, rationale = parse_judgement(text, scale)
    except JudgeParseError as error:
        event("no score")
        assert error.text == text
        return
    event("score")
    assert scale.min <= score <= scale.max and isinstance(rationale, str)


@FUZZ
@given(completion=answers, golds=st.lists(answers, max_size=3))
def test_benchmark_answer_scoring(completion: str, golds: list[str]) -> None:
    gold = golds[0] if golds else "#### 7"
    scores = {
        **benchmark_scoring.gsm8k_scores(completion, gold),
        **benchmark_scoring.squad_scores(completion, golds),
        **benchmark_scoring.triviaqa_scores(completion, golds),
        "triviaqa_lm_eval": benchmark_scoring.triviaqa_exact_match(completion, golds),
    }
    assert all(0.0 <= value <= 1.0 for value in scores.values())
    assert isinstance(benchmark_scoring.gsm8k_final_answer(completion), str)


SCORED = parse_metric_specs([spec for spec in VALID if spec["type"] != "llm-judge"], WHERE)
ITEM = {
    "id": "r1",
    "reference": "Paris",
    "golds": ["Paris", "paris, France"],
    "n": 42,
    "json": '{"x": "Yes", "y": "roaming"}',
    "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}],
}
tool_calls = st.one_of(answers.map(lambda text: parse_tool_calls(text).tool_calls), st.lists(values, max_size=3))


@FUZZ
@given(output_text=answers, calls=st.one_of(st.none(), tool_calls))
@example(output_text="1" * 5000, calls=None)  # number-check read a 5000-digit number with int()
@example(output_text='{"x": ' + "1" * 5000 + "}", calls=None)  # json-fields parsed the answer with json.loads
@example(output_text="", calls=[{"function": {"name": "f", "arguments": "1" * 5000}}])  # tool-calling, the same
def test_metric_scorers_on_any_answer(output_text: str, calls: list | None) -> None:
    """The scorers score any answer (no input error: the answer is the model's, not the data's)."""
    made = None if calls is None else [call for call in calls if isinstance(call, dict)]
    result = evaluate(SCORED, [ITEM], [Sample(output_text=output_text, tool_calls=made)])
    assert all(score.value is None or 0.0 <= score.value <= 1.0 for score in result.scores.values())
