"""Curation rules: feedback filters, corrections as answers, disagreement, sampling per intent."""

import random

import pytest
from pydantic import ValidationError

from steps.logic.curation import CurationRules, curate
from steps.logic.curation.parse import parse_lines
from steps.logic.curation.selection import sample_per_intent, select
from tests.unit.curation_logs import call, lines, log, many


def _select(records, **rules):
    return select(parse_lines(lines(*records), "s").interactions, CurationRules(**rules))


FEEDBACK = [
    log("q up", "a", feedback={"rating": "up"}),
    log("q down", "a", feedback={"rating": -1}),
    log("q fixed", "wrong", feedback={"rating": "down", "corrected": "right"}),
    log("q none", "a"),
]


def test_a_down_without_correction_is_dropped_and_the_rest_kept_by_default():
    selected = _select(FEEDBACK)
    assert [item.messages[1].content for item in selected.kept] == ["q up", "q fixed", "q none"]
    assert selected.dropped == {"rated_down": 1}


def test_keep_feedback_selects_kinds():
    selected = _select(FEEDBACK, keep_feedback=["up", "corrected"])
    assert [item.messages[1].content for item in selected.kept] == ["q up", "q fixed"]
    assert selected.dropped == {"rated_down": 1, "not_kept_unrated": 1}
    only_corrected = _select(FEEDBACK, keep_feedback=["corrected"])
    assert only_corrected.dropped == {"rated_down": 1, "not_kept_up": 1, "not_kept_unrated": 1}


def test_the_correction_is_the_expected_answer_in_the_row():
    correction = {"content": None, "tool_calls": [call("get_bill", {"month": "2025-01"})]}
    records = [
        *many(3, "billing"),
        log(
            "Show January",
            "I cannot.",
            intent="billing",
            id="fix",
            feedback={"rating": "down", "corrected": correction},
        ),
    ]
    curated = curate(lines(*records), CurationRules(), source="s")
    row = next(row for split in curated.splits.values() for row in split if row["id"] == "fix")
    answer = row["messages"][-1]
    assert answer == {"role": "assistant", "tool_calls": [call("get_bill", {"month": "2025-01"})]}
    assert curated.report.corrections_used == 1


def test_disagreement_keeps_records_whose_reference_answers_differently():
    get = call("get_bill", {"month": "2025-01"})
    records = [
        log("q1", "It is 12 USD.", reference="it is  12 usd."),  # same normalized text
        log("q2", "It is 12 USD.", reference="It is 15 USD."),
        log("q3", None, calls=[get], reference={"tool_calls": [{**get, "id": "other"}]}),  # same call
        log("q4", None, calls=[get], reference={"tool_calls": [call("get_bill", {"month": "2025-02"})]}),
        log("q5", "It is 12 USD."),  # no reference
    ]
    selected = _select(records, require_disagreement=True)
    assert [item.messages[1].content for item in selected.kept] == ["q2", "q4"]
    assert selected.dropped == {"reference_agrees": 2, "no_reference": 1}
    assert len(_select(records).kept) == 5  # off by default


def test_sampling_per_intent_is_deterministic_and_independent_of_order():
    items = parse_lines(lines(*many(10, "billing"), *many(3, "plans")), "s").interactions
    first = sample_per_intent(items, 4, seed=7)
    assert sorted(item.intent for item in first) == ["billing"] * 4 + ["plans"] * 3
    assert [item.line for item in first] == sorted(item.line for item in first)  # input order kept
    shuffled = items[:]
    random.Random(1).shuffle(shuffled)
    again = sample_per_intent(shuffled, 4, seed=7)
    assert {item.line for item in again} == {item.line for item in first}
    other_seeds = [{item.line for item in sample_per_intent(items, 4, seed)} for seed in range(5)]
    assert len({frozenset(lines) for lines in other_seeds}) > 1
    assert sample_per_intent(items, None, seed=7) == items


def test_sampling_drops_are_counted():
    selected = _select(many(5, "billing"), max_per_intent=2)
    assert len(selected.kept) == 2 and selected.dropped == {"over_max_per_intent": 3}


@pytest.mark.parametrize(
    "rules, message",
    [
        ({"keep_feedback": ["down"]}, "keep_feedback.0"),
        ({"keep_feedback": []}, "keep_feedback"),
        ({"keep_feedback": ["up", "up"]}, "lists a kind twice"),
        ({"validation_fraction": 0.5, "test_fraction": 0.5}, "must be below 1"),
        ({"max_per_intent": 0}, "max_per_intent"),
        ({"min_rating": 1}, "min_rating"),
    ],
)
def test_rules_are_validated(rules, message):
    with pytest.raises(ValidationError, match=message):
        CurationRules(**rules)
