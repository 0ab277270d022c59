import math
from typing import Literal

import pytest

from steps.errors import InvalidInputError
from steps.logic.metrics import MetricSpecBase, RowContext, Sample, Score, evaluate, parse_metric_specs

SPECS = parse_metric_specs(
    [
        {"name": "em", "type": "exact-match", "reference": "{{item.answer}}"},
        {"name": "has-city", "type": "string-check", "check": ["{{sample.output_text}}", "contains", "{{item.city}}"]},
    ]
)
ITEMS = [
    {"id": "a", "messages": [{"role": "user", "content": "Capital of France?"}], "answer": "Paris", "city": "Paris"},
    {"id": "b", "messages": [{"role": "user", "content": "Capital of Italy?"}], "answer": "Rome", "city": "Rome"},
    {"id": "c", "messages": [{"role": "user", "content": "Capital of Spain?"}], "answer": "Madrid", "city": "Madrid"},
]
SAMPLES = [{"output_text": "Paris"}, Sample(output_text="It is Rome."), {"output_text": "Lisbon"}]


def test_scores_values_stderr_items_and_rows():
    result = evaluate(SPECS, ITEMS, SAMPLES)
    assert list(result.scores) == ["em.exact-match", "has-city.string-check"]
    em = result.scores["em.exact-match"]
    assert (em.value, em.n, em.failures) == (1 / 3, 3, [])
    assert em.stderr == pytest.approx(math.sqrt(1 / 3 * 2 / 3 / 3))
    assert [(item.id, item.value) for item in em.items] == [("a", 1.0), ("b", 0.0), ("c", 0.0)]
    assert result.values() == {"em.exact-match": 1 / 3, "has-city.string-check": 2 / 3}
    assert result.rows[1] == {
        "id": "b",
        "input": [{"role": "user", "content": "Capital of Italy?"}],
        "prediction": {"output_text": "It is Rome.", "tool_calls": None},
        "reference": {"answer": "Rome", "city": "Rome"},
        "em.exact-match": 0.0,
        "has-city.string-check": 1.0,
    }


class EchoJudgeSpec(MetricSpecBase):
    """A stand-in for a type registered from outside (as llm-judge will be)."""

    type: Literal["echo-judge"]

    def templates(self) -> dict[str, str]:
        return {}

    def scores(self) -> tuple[str, ...]:
        return ("score",)


def echo_judge(spec: EchoJudgeSpec, row: RowContext) -> dict[str, Score]:
    text = row.sample["output_text"]
    if text == "Lisbon":
        return {"score": Score(None, detail="the judge gave no usable answer")}
    return {"score": Score(1.0 if text == "Paris" else 0.5, detail=f"judged {text!r}")}


def test_an_added_type_with_failures_leaves_them_out_of_value_and_n():
    judge = EchoJudgeSpec(type="echo-judge", name="judge")
    result = evaluate([judge], ITEMS, SAMPLES, scorers={"echo-judge": echo_judge})
    score = result.scores["judge.score"]
    assert (score.value, score.n, score.failures) == (0.75, 2, ["c"])
    assert result.rows[2]["judge.score"] is None
    assert result.rows[2]["judge.score.detail"] == "the judge gave no usable answer"
    everything_failed = evaluate([judge], ITEMS[2:], SAMPLES[2:], scorers={"echo-judge": echo_judge})
    assert everything_failed.scores["judge.score"].model_dump(exclude={"items"}) == {
        "name": "judge.score",
        "value": None,
        "stderr": None,
        "n": 0,
        "failures": ["c"],
    }
    with pytest.raises(InvalidInputError, match="no scorer for type 'echo-judge'"):
        evaluate([judge], ITEMS, SAMPLES)


def test_a_scorer_must_give_exactly_its_scores():
    judge = EchoJudgeSpec(type="echo-judge", name="judge")
    with pytest.raises(InvalidInputError, match=r"gave scores \['other'\], expected \['score'\]"):
        evaluate([judge], ITEMS, SAMPLES, scorers={"echo-judge": lambda spec, row: {"other": Score(1.0)}})


def test_missing_field_names_row_metric_parameter_and_field():
    items = [*ITEMS[:2], {"id": "c", "answer": "Madrid"}]
    with pytest.raises(InvalidInputError) as caught:
        evaluate(SPECS, items, SAMPLES)
    message = str(caught.value)
    assert "metric 'has-city'" in message
    assert "parameter 'right_template'" in message
    assert "['city']" in message
    assert "row 'c'" in message


@pytest.mark.parametrize(
    ("items", "samples", "message"),
    [
        ([], [], "no items to score"),
        (ITEMS, SAMPLES[:2], "got 2 samples for 3 items"),
        ([{"answer": "x", "city": "x"}], [{"output_text": "x"}], "item 0 has no `id`"),
        ([ITEMS[0], ITEMS[0]], SAMPLES[:2], r"item ids \['a'\] occur more than once"),
    ],
)
def test_bad_inputs(items, samples, message):
    with pytest.raises(InvalidInputError, match=message):
        evaluate(SPECS, items, samples)


def test_bad_metric_lists():
    with pytest.raises(InvalidInputError, match="no metrics"):
        evaluate([], ITEMS, SAMPLES)
    with pytest.raises(InvalidInputError, match="repeat"):
        evaluate([SPECS[0], SPECS[0]], ITEMS, SAMPLES)


def test_sample_fields_are_checked():
    with pytest.raises(InvalidInputError, match=r"sample of row 'a' (.|\n)*output_txt"):
        evaluate(SPECS, ITEMS[:1], [{"output_txt": "Paris"}])
