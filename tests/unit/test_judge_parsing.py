"""The judge's answer parser: the designated final score on the scale, or a JudgeParseError, never 0."""

from __future__ import annotations

import pytest

from steps.errors import LlmopsError
from steps.logic.judge_parsing import JudgeParseError, parse_judgement
from steps.logic.judge_rubrics import BINARY, LIKERT_5, Scale


@pytest.mark.parametrize(
    "text, score",
    [
        ("Score: 5", 5),  # the top of the scale
        ("5/5", 5),
        ("4 out of 5", 4),
        ("**Rating:** 5", 5),
        ("**Score: 5**", 5),
        ("Score: **5**", 5),
        ("Rating = 3", 3),
        ("Grade (1-5): 3", 3),
        ("Score: 1", 1),  # the bottom of the scale
        ("5", 5),
        ("The answer is right.\n\n**5**", 5),
        ("Final score: 4/5.", 4),
        ('{"score": 5, "rationale": "matches"}', 5),
        ('{"Rating": 4.0}', 4),
        ('{"score": "3"}', 3),
        ('Here it is:\n```json\n{"rating": 4, "explanation": "fine"}\n```', 4),
        ('Verdict follows. {"score": 2, "reasoning": "misses the date"}', 2),
    ],
)
def test_accepted_forms(text, score):
    assert parse_judgement(text, LIKERT_5)[0] == score


def test_verbose_answer_takes_the_designated_score_not_the_first_digit():
    text = (
        "Rationale: The reference lists 3 charges and 2 dates; the answer has all 3 charges but only 1 date, "
        "so 4 of 5 facts are right.\nScore: 4"
    )
    assert parse_judgement(text, LIKERT_5) == (
        4,
        "The reference lists 3 charges and 2 dates; the answer has all 3 charges but only 1 date, "
        "so 4 of 5 facts are right.",
    )


def test_a_final_score_overrides_earlier_drafts():
    text = "Score: 2\nOn reflection the date is also right.\nFinal score: 4"
    assert parse_judgement(text, LIKERT_5)[0] == 4


def test_markdown_with_digits_in_the_rationale():
    text = "The answer covers 2 of the 3 points (67 %).\n\n**Rating:** 3/5"
    assert parse_judgement(text, LIKERT_5) == (3, "The answer covers 2 of the 3 points (67 %).")


@pytest.mark.parametrize("text, score", [("Score: 1", 1), ("Score: 0", 0), ("0", 0), ('{"score": 1}', 1)])
def test_binary_scale(text, score):
    assert parse_judgement(text, BINARY)[0] == score


@pytest.mark.parametrize(
    "text, scale, reason",
    [
        ("Score: 6", LIKERT_5, "outside the scale 1-5"),
        ("Score: 0", LIKERT_5, "outside the scale 1-5"),
        ("Score: -1", LIKERT_5, "outside the scale 1-5"),
        ("Score: 2", BINARY, "outside the scale 0-1"),
        ('{"score": 7}', LIKERT_5, "outside the scale"),
        ("Score: 8/10", LIKERT_5, "out of 10"),
        ("Score: 3.5", LIKERT_5, "not an integer"),
        ('{"score": true}', BINARY, "not an integer"),
        ('{"score": "high"}', LIKERT_5, "not a number"),
        ("Score: 3\nScore: 4", LIKERT_5, "several different scores"),
        ("3/5 at first, then 4/5", LIKERT_5, "several different scores"),
        ("I would rate this answer as quite good.", LIKERT_5, "no final score"),
        ("The answer has 3 facts.", LIKERT_5, "no final score"),
        ("", LIKERT_5, "empty"),
        ("   \n", LIKERT_5, "empty"),
    ],
)
def test_rejected_answers_raise_with_the_text(text, scale, reason):
    with pytest.raises(JudgeParseError) as info:
        parse_judgement(text, scale)
    assert reason in info.value.reason
    assert info.value.text == text
    assert isinstance(info.value, LlmopsError)
    assert repr(text) in str(info.value) or not text.strip()


def test_the_error_message_shortens_a_long_answer_but_keeps_the_full_text():
    text = "blah " * 200
    with pytest.raises(JudgeParseError) as info:
        parse_judgement(text, LIKERT_5)
    assert len(str(info.value)) < 500 and info.value.text == text


def test_wider_scales():
    assert parse_judgement("Score: 10", Scale(min=1, max=10))[0] == 10
    assert parse_judgement("7/10", Scale(min=1, max=10))[0] == 7
