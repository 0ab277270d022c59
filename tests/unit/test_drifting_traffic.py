"""Drifting synthetic traffic of the flywheel simulation (steps.data.drifting_traffic)."""

import json
from collections import Counter
from datetime import UTC, datetime

from steps.data.billing import NEW_CHARGE
from steps.data.drifting_traffic import answered_right, round_logs, round_requests
from steps.logic.curation import curate
from steps.logic.curation.rules import CurationRules

END = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _intents(requests) -> Counter:
    return Counter(r.intent for r in requests)


def test_the_new_charge_appears_only_from_the_drift_on_and_rounds_are_reproducible():
    before = round_requests(1, 200, 0, 0.0, END)
    after = round_requests(2, 200, 0, 0.6, END)
    assert NEW_CHARGE not in _intents(before)
    assert 0.3 <= _intents(after)[NEW_CHARGE] / 200 <= 0.6
    assert round_requests(2, 200, 0, 0.6, END) == after
    assert {r.log_id for r in before}.isdisjoint(r.log_id for r in after)
    assert before[-1].when == END and before[0].when < END
    assert "Streaming add-on" in next(r for r in after if r.intent == NEW_CHARGE).messages[1]["content"]


def test_answered_right_compares_the_json_objects():
    expected = '{"bill_found": "true", "change_reason": "roaming"}'
    assert answered_right('{"change_reason": "roaming", "bill_found": "true"}', expected)
    assert not answered_right('{"bill_found": "true", "change_reason": "late_fee"}', expected)
    assert not answered_right("roaming", expected)


def test_logs_carry_feedback_by_rightness_and_are_valid_production_records():
    requests = round_requests(3, 120, 1, 0.6, END)
    wrong = '{"bill_found": "true", "change_reason": "none"}'
    answers = [r.expected if i % 2 else wrong for i, r in enumerate(requests)]
    logs = round_logs(requests, answers, 1, 3, reference_share=0.5)
    assert logs == round_logs(requests, answers, 1, 3, reference_share=0.5)
    for log, request, answer in zip(logs, requests, answers, strict=True):
        assert log["response"]["choices"][0]["message"]["content"] == answer
        feedback = log.get("feedback", {})
        if answered_right(answer, request.expected):
            assert feedback in ({}, {"rating": "up"})
        else:
            assert feedback["rating"] == "down" and feedback.get("corrected", request.expected) == request.expected
        if "reference" in log:
            assert log["reference"] == {"content": request.expected}
    assert 0.35 <= sum("reference" in log for log in logs) / len(logs) <= 0.65
    lines = [json.dumps(log) for log in logs]
    curated = curate(lines, CurationRules(), source="round-03.jsonl")
    assert curated.report.kept > 0
    by_id = {r.log_id: r for r in requests}
    for row in [row for rows in curated.splits.values() for row in rows]:  # kept answers are right ones
        request = by_id[row["id"]]
        assert answered_right(row["messages"][-1]["content"], request.expected)
