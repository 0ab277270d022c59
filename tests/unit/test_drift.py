"""The drift decision (steps/logic/drift.py) and the records it scores (steps/logic/drift_records.py): thresholds
at their boundaries, the stricter of floor and max_drop, not enough data, no release score, no champion; labels
in order of preference, the window and the cap on records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from steps.logic.curation.parse import parse_lines
from steps.logic.drift import DriftPolicy, Observed, decide, no_champion
from steps.logic.drift_records import recent_rows
from tests.unit.curation_logs import call, lines, log

METRIC = "answer.all_fields_exact"


def _policy(**fields) -> DriftPolicy:
    return DriftPolicy.model_validate({"source": "logs.jsonl", "min_records": 10, **fields})


def _observed(value: float, n: int = 20) -> Observed:
    return Observed(value=value, stderr=0.05, n=n)


@pytest.mark.parametrize(
    ("value", "status"),
    [(0.9, "stable"), (0.75, "stable"), (0.7499, "drifted"), (0.2, "drifted")],
)
def test_max_drop_below_the_release_score_is_the_boundary(value, status):
    verdict = decide(_policy(max_drop=0.05), METRIC, _observed(value), 0.8, "bills v3")
    assert verdict.status == status
    assert verdict.threshold == pytest.approx(0.75) and verdict.reference == 0.8


def test_a_score_equal_to_the_threshold_up_to_rounding_has_not_drifted():
    verdict = decide(_policy(max_drop=0.1), METRIC, _observed(0.7), 0.8, "bills v3")  # 0.8 - 0.1 = 0.70000000001
    assert verdict.status == "stable" and "at or above 0.7000" in verdict.reason


def test_the_floor_alone_decides_without_a_release_score():
    policy = _policy(floor=0.6)
    assert decide(policy, METRIC, _observed(0.6), None, "bills v3").status == "stable"
    below = decide(policy, METRIC, _observed(0.59), None, "bills v3")
    assert below.status == "drifted" and below.drifted and below.threshold == 0.6
    assert below.reason == (
        "drifted: answer.all_fields_exact = 0.5900 (stderr 0.0500) on 20 labelled records is below 0.6000 "
        "(floor 0.6000)"
    )


def test_the_stricter_threshold_applies_and_the_reason_names_both():
    policy = _policy(floor=0.5, max_drop=0.1)
    verdict = decide(policy, METRIC, _observed(0.65), 0.8, "bills v3", window="7d")
    assert verdict.status == "drifted" and verdict.threshold == pytest.approx(0.7)
    assert "on 20 labelled records of the last 7d is below 0.7000" in verdict.reason
    assert "(bills v3's release score 0.8000 - max_drop 0.1000; floor 0.5000)" in verdict.reason
    low_reference = decide(policy, METRIC, _observed(0.55), 0.55, "bills v3")
    assert low_reference.status == "stable" and low_reference.threshold == 0.5  # the floor is the stricter one


def test_fewer_records_than_min_records_decide_nothing():
    verdict = decide(_policy(floor=0.9), METRIC, _observed(0.1, n=9), 0.8, "bills v3")
    assert verdict.status == "insufficient-data" and not verdict.drifted
    assert verdict.reason == "not enough data: 9 labelled records, fewer than min_records 10; nothing decided"
    assert decide(_policy(floor=0.9), METRIC, _observed(0.1, n=10), 0.8, "bills v3").status == "drifted"


def test_no_score_or_no_release_score_for_max_drop_decides_nothing():
    unscored = decide(_policy(floor=0.5), METRIC, Observed(value=None, n=30), 0.8, "bills v3")
    assert unscored.status == "insufficient-data" and "could be scored" in unscored.reason
    no_reference = decide(_policy(max_drop=0.1), METRIC, _observed(0.1), None, "bills v3")
    assert no_reference.status == "insufficient-data" and "no release score of answer" in no_reference.reason


def test_no_champion_is_its_own_verdict():
    verdict = no_champion(METRIC, "bills", 42)
    assert verdict.status == "no-champion" and not verdict.drifted and "nothing released yet" in verdict.reason


def test_observed_from_per_record_scores():
    observed = Observed.from_items([1.0, 0.0, 1.0, 1.0])
    assert observed.value == 0.75 and observed.n == 4 and observed.stderr == pytest.approx((0.1875 / 4) ** 0.5)
    assert Observed.from_items([]).value is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "set floor, max_drop or both"),
        ({"floor": 1.5}, "less than or equal to 1"),
        ({"floor": 0.5, "min_records": 600}, "min_records 600 is above max_records 500"),
        ({"floor": 0.5, "labels": ["corrected", "corrected"]}, "listed twice"),
        ({"floor": 0.5, "labels": ["thumbs"]}, "'corrected', 'reference' or 'rated-up'"),
        ({"floor": 0.5, "window": "7 days"}, "should match pattern"),
        ({"floor": 0.5, "threshold": 1}, "Extra inputs are not permitted"),
    ],
)
def test_a_bad_policy_is_refused(fields, message):
    with pytest.raises(ValidationError) as info:
        _policy(**fields)
    assert message in str(info.value)


def test_window_lengths():
    assert _policy(floor=0.5, window="90m").window_length() == timedelta(minutes=90)
    assert _policy(floor=0.5, window="7d").window_length() == timedelta(days=7)
    assert _policy(floor=0.5).window_length() is None


def _items(*records):
    return parse_lines(lines(*records), "logs.jsonl").interactions


def test_labels_are_taken_in_order_of_preference_and_unlabelled_records_left_out():
    both = log("q1?", "logged", id="a", feedback={"corrected": "fixed"}, reference="other model")
    reference = log("q2?", "logged", id="b", reference="other model")
    rated_up = log("q3?", "logged", id="c", feedback={"rating": "up"})
    items = _items(both, reference, rated_up, log("q5?", "logged", id="e"))
    rows = recent_rows(items, ["corrected", "reference"], 10).rows
    assert [(r["id"], r["reference"]) for r in rows] == [("a", "fixed"), ("b", "other model")]
    rows = recent_rows(items, ["reference", "corrected", "rated-up"], 10).rows
    assert [(r["id"], r["reference"]) for r in rows] == [("a", "other model"), ("b", "other model"), ("c", "logged")]
    assert rows[0]["messages"][-1] == {"role": "user", "content": "q1?"} and rows[0]["intent"] == "unspecified"


def test_a_label_that_calls_tools_is_expected_as_tool_calls():
    fixed = {"role": "assistant", "content": None, "tool_calls": [call("get_bill", {"month": "2025-01"})]}
    items = _items(log("my bill?", None, id="t", calls=[call("get_bill", {})], feedback={"corrected": fixed}))
    (row,) = recent_rows(items, ["corrected"], 10).rows
    assert row["reference"] == "" and row["tool_calls"][0]["function"]["name"] == "get_bill" and row["tools"]


def test_the_window_and_the_cap_keep_the_latest_records_in_time_order():
    now = datetime(2025, 3, 10, tzinfo=UTC)
    records = [
        log(f"q{day}?", "x", id=f"d{day}", timestamp=f"2025-03-0{day}T00:00:00Z", reference="ref")
        for day in (5, 9, 3, 8)
    ]
    records.append(log("undated?", "x", id="u", reference="ref"))
    items = _items(*records)
    recent = recent_rows(items, ["reference"], 2, now, timedelta(days=3).total_seconds())
    assert [r["id"] for r in recent.rows] == ["d8", "d9"]
    assert (recent.labelled, recent.outside_window) == (5, 3)  # d5, d3 and the undated one
    assert recent.first == datetime(2025, 3, 8, tzinfo=UTC) and recent.last == datetime(2025, 3, 9, tzinfo=UTC)
    unlimited = recent_rows(items, ["reference"], 10)
    assert [r["id"] for r in unlimited.rows] == ["u", "d3", "d5", "d8", "d9"]  # undated counts as oldest
