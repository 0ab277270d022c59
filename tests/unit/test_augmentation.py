"""Augmentation's pure logic: which rows are paraphrased, the prompts, the filters, the labels and the report."""

import pytest
from pydantic import ValidationError

from steps.logic.augmentation import DEFAULT_PROMPT, AugmentationSection, accept, plan
from steps.logic.augmentation.filters import clean, values
from steps.logic.chat_records import ChatRecord

GENERATOR = {"model": "gen", "endpoint": "", "temperature": 0.7, "seed": 0, "prompt_sha256": "x"}


def record(question: str, answer: str = "An answer.", **extras) -> ChatRecord:
    messages = [
        {"role": "system", "content": "You help with bills."},
        {"role": "user", "content": question},
        {"role": "assistant", "content": answer},
    ]
    return ChatRecord.model_validate({"messages": messages, **extras})


def section(**fields) -> AugmentationSection:
    return AugmentationSection(model="gen", **fields)


def test_only_rows_not_yet_synthetic_are_asked_with_the_prompt():
    training = [record("Why is my bill high?", id="a"), record("Old paraphrase", id="s", synthetic=True)]
    the_plan = plan(training, section(paraphrases=2))
    assert [(r.source_id, r.index) for r in the_plan.requests] == [("a", 0), ("a", 1)]
    assert the_plan.skipped_synthetic == 1 and the_plan.training_rows == 2
    prompt = the_plan.requests[0].messages[0]["content"]
    assert prompt == DEFAULT_PROMPT.replace("{request}", "Why is my bill high?")
    assert "without changing" not in prompt and "every number" in prompt


def test_the_cap_takes_the_first_paraphrase_of_every_row_first_and_the_order_follows_the_seed():
    training = [record(f"question {i} about my bill", id=f"r{i}") for i in range(6)]
    capped = plan(training, section(paraphrases=2, max_rows=6))
    assert {r.index for r in capped.requests} == {0} and capped.capped == 6 and len(capped.requests) == 6
    again = plan(list(reversed(training)), section(paraphrases=2, max_rows=4))
    first = plan(training, section(paraphrases=2, max_rows=4))
    assert [r.source_id for r in again.requests] == [r.source_id for r in first.requests]  # any input order
    other = plan(training, section(paraphrases=2, max_rows=4, seed=9))
    assert [r.source_id for r in other.requests] != [r.source_id for r in first.requests]


def test_values_a_paraphrase_must_keep():
    assert values("Why was I charged 12.50 USD on 2025-01-14? Mail <EMAIL_1>, plan late_fee, ok.") == [
        "12.50",
        "USD",
        "2025-01-14",
        "<EMAIL_1>",
        "late_fee",
    ]
    assert clean('  "Why so high?"  ') == "Why so high?" and clean(None) == ""


def test_filters_drop_by_reason_and_the_kept_rows_are_labelled():
    source = record("Why was I charged 12.50 USD?", answer="Roaming.", id="src", intent="billing")
    other = record("Is 12.50 USD my plan cost?", id="other")
    training = [source, other]
    the_plan = plan([source], section(paraphrases=6, max_rows=6))
    replies = [
        "  ",  # empty
        "why was I  CHARGED 12.50 usd?",  # same as the original, normalised
        "Why was I charged 12.50 USD? " * 10,  # too long
        "Why was I billed 12 USD?",  # loses 12.50
        "is 12.50 USD my plan  cost?",  # another row's text
        '"What is the 12.50 USD charge on my bill?"',  # kept (quotes removed)
    ]
    out = accept(the_plan, replies, training, section(paraphrases=6), GENERATOR)
    assert out.report.dropped == {"empty": 1, "same_as_original": 1, "too_long": 1, "lost_value": 1, "duplicate": 1}
    assert (out.report.asked, out.report.kept) == (6, 1)
    (row,) = out.rows
    extras = row.extras()
    assert extras["synthetic"] is True and extras["augmented_from"] == "src" and extras["generator"] == GENERATOR
    assert extras["intent"] == "billing" and row.id.startswith("aug-")
    assert row.messages[1].content == "What is the 12.50 USD charge on my bill?"
    assert row.messages[0] == source.messages[0] and row.messages[-1] == source.messages[-1]  # answer unchanged
    summary = out.report.summary()
    assert summary["kept"] == 1 and summary["dropped_lost_value"] == 1 and "| kept (synthetic" in out.report.markdown()


def test_two_paraphrases_alike_keep_one_and_the_result_is_deterministic():
    source = record("Explain my bill please", id="src")
    the_plan = plan([source], section(paraphrases=2))
    first = accept(the_plan, ["Please explain my bill", "please  explain my bill"], [source], section(), GENERATOR)
    again = accept(the_plan, ["Please explain my bill", "please  explain my bill"], [source], section(), GENERATOR)
    assert first.report.dropped == {"duplicate": 1} and [r.id for r in first.rows] == [r.id for r in again.rows]
    with pytest.raises(ValueError, match="1 replies for 2 requests"):
        accept(the_plan, ["x"], [source], section(), GENERATOR)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"prompt": "Rephrase this."}, "must contain {request}"),
        ({"api_key_env": "KEY"}, "only used with endpoint"),
        ({"paraphrases": 3, "temperature": 0}, "temperature 0"),
        ({"endpoint": "ftp://x"}, "should match pattern"),
        ({"api_key": "sk-123"}, "Extra inputs are not permitted"),
    ],
)
def test_a_section_that_cannot_work_is_refused(fields, message):
    with pytest.raises(ValidationError, match=message):
        section(**fields)
