"""The judge's rubric prompts: their content, the scale, and the version pin."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from steps.logic.judge_parsing import parse_judgement
from steps.logic.judge_rubrics import (
    BINARY,
    CRITERIA,
    LIKERT_5,
    PROMPT_VERSION,
    Scale,
    judge_messages,
    prompt_fingerprint,
)

# PROMPT_VERSION -> prompt_fingerprint(). A prompt edit changes the fingerprint: bump PROMPT_VERSION and add
# its fingerprint here (keep the old lines: they document which texts earlier scores were graded with).
PINNED = {
    "1": "e1f04ee41e8bb9d31a21e23a496cc4ad6f382ba3d49998e00509b00a4a55bbfa",
}


def test_prompt_texts_are_pinned_to_their_version():
    assert PINNED.get(PROMPT_VERSION) == prompt_fingerprint(), (
        "the judge prompts changed: bump PROMPT_VERSION in steps/logic/judge_rubrics.py and pin the new "
        f"fingerprint {prompt_fingerprint()} in this test"
    )


@pytest.mark.parametrize("criterion", CRITERIA)
def test_messages_carry_the_conversation_reference_answer_and_contract(criterion):
    question = [
        {"role": "system", "content": "You answer billing questions."},
        {"role": "user", "content": "Why is my March bill higher?"},
    ]
    system, user = judge_messages(criterion, question, "Roaming charges were added.", "You roamed abroad.")
    assert system["role"] == "system" and user["role"] == "user"
    assert criterion in system["content"] and "an integer from 1 to 5" in system["content"]
    assert system["content"].rstrip().endswith("Score: <an integer from 1 to 5>")
    assert "[system]\nYou answer billing questions." in user["content"]
    assert "[user]\nWhy is my March bill higher?" in user["content"]
    assert "<reference_answer>\nRoaming charges were added.\n</reference_answer>" in user["content"]
    assert "<assistant_answer>\nYou roamed abroad.\n</assistant_answer>" in user["content"]


def test_binary_and_three_point_scales_describe_their_own_values():
    binary = judge_messages("correctness", [{"role": "user", "content": "Q"}], "R", "P", BINARY)[0]["content"]
    assert "- 1: " in binary and "- 0: " in binary and " to " not in binary.split("Scale:")[1].splitlines()[1]
    three = judge_messages("fluency", [{"role": "user", "content": "Q"}], "R", "P", Scale(min=1, max=3))[0]
    assert "- 3: " in three["content"] and "- 2: " in three["content"] and "- 1: " in three["content"]


def test_tool_calls_and_content_parts_are_rendered():
    question = [
        {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]},
        {"role": "assistant", "content": None, "tool_calls": [{"function": {"name": "weather", "arguments": "{}"}}]},
    ]
    user = judge_messages("relevance", question, "R", "P")[1]["content"]
    assert "[user]\nWeather in Paris?" in user and '"name": "weather"' in user


def test_the_answer_contract_is_what_the_parser_reads():
    assert parse_judgement("Rationale: fine.\nScore: 5", LIKERT_5) == (5, "fine.")


def test_unknown_criterion_and_bad_scales_are_refused():
    with pytest.raises(ValueError, match="unknown judge criterion 'helpfulness'"):
        judge_messages("helpfulness", [], "R", "P")
    for bad in ({"min": 5, "max": 1}, {"min": -1, "max": 1}, {"min": 0, "max": 20}, {"min": 1, "max": 5, "step": 1}):
        with pytest.raises(ValidationError):
            Scale.model_validate(bad)


def test_normalise():
    assert [LIKERT_5.normalise(v) for v in LIKERT_5.values] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert BINARY.normalise(1) == 1.0 and BINARY.normalise(0) == 0.0
    with pytest.raises(ValueError, match="outside the scale 1-5"):
        LIKERT_5.normalise(6)
