import math

import pytest

from steps.errors import InvalidInputError
from steps.logic.bill_metrics import metric_names, parse_answer, score_bill_predictions

REF = '{"bill_found": "true", "bill_id": "B-25455", "bill_date": "2025-02-09", "change_reason": "roaming"}'
REF_NONE = '{"bill_found": "false", "bill_id": "", "bill_date": "", "change_reason": "none"}'


def test_scores_on_crafted_predictions():
    predictions = [
        '  {"bill_found": "true", "bill_id": "B-25455", "bill_date": "2025-02-09", "change_reason": "roaming"}\n',
        '```json\n{"bill_found": true, "bill_id": " B-25455 ", "bill_date": "2025-02-09", '
        '"change_reason": "roaming"}\n```',  # fenced, bool
        # wrong id
        '{"bill_found": "true", "bill_id": "B-25456", "bill_date": "2025-02-09", "change_reason": "roaming"}',
        '{"bill_found": "true", "bill_id": "B-25455", "bill_date": "2025-02-09"',  # invalid JSON
        'Answer: {"bill_found": "false", "bill_id": "", "bill_date": ""}',  # text around: invalid
        '{"bill_found": "False", "bill_id": "", "bill_date": "", "change_reason": "none"}',  # exact after normalisation
        '["not", "an", "object"]',
        '{"bill_found": "false"}',  # missing keys
    ]
    references = [REF, REF, REF, REF, REF_NONE, REF_NONE, REF, REF_NONE]
    scores = score_bill_predictions(predictions, references)
    assert scores.n == 8
    assert scores.values["valid_json"] == pytest.approx(5 / 8)
    assert scores.values["bill_found"] == pytest.approx(5 / 8)
    assert scores.values["bill_id"] == pytest.approx(3 / 8)
    assert scores.values["bill_date"] == pytest.approx(4 / 8)
    assert scores.values["all_fields_exact"] == pytest.approx(3 / 8)
    assert scores.values["change_reason"] == pytest.approx(4 / 8)
    assert scores.values["change_reason_balanced"] == pytest.approx((3 / 5 + 1 / 3) / 2)
    assert scores.stderr["bill_id"] == pytest.approx(math.sqrt(3 / 8 * 5 / 8 / 8))
    assert set(scores.stderr) == {
        "valid_json",
        "bill_found",
        "bill_id",
        "bill_date",
        "change_reason",
        "all_fields_exact",
        "change_reason_balanced",
    }
    assert [row.all_fields_exact for row in scores.rows] == [True, True, False, False, False, True, False, False]
    assert scores.rows[2].fields["bill_id"] is False and scores.rows[2].fields["bill_date"] is True
    assert scores.metrics()["all_fields_exact"] == scores.values["all_fields_exact"]


def test_perfect_and_empty_inputs():
    scores = score_bill_predictions([REF, REF_NONE], [REF, REF_NONE])
    assert scores.values["all_fields_exact"] == 1.0 and scores.stderr["all_fields_exact"] == 0.0
    with pytest.raises(InvalidInputError, match="n=0"):
        score_bill_predictions([], [])
    with pytest.raises(InvalidInputError, match="2 predictions for 1 references"):
        score_bill_predictions([REF, REF], [REF])
    with pytest.raises(InvalidInputError, match="reference 0"):
        score_bill_predictions([REF], ["oops"])


def test_parse_answer_accepts_bare_fence():
    assert parse_answer('```\n{"a": 1}\n```') == {"a": 1}
    assert parse_answer("null") is None


def _answer(reason: str) -> str:
    return f'{{"bill_found": "true", "bill_id": "B-1", "bill_date": "2025-01-01", "change_reason": "{reason}"}}'


def test_change_reason_balanced_accuracy_does_not_reward_the_majority_class():
    references = [_answer("none")] * 6 + [_answer("roaming")] * 2 + [_answer("late_fee")] * 2
    majority = score_bill_predictions([_answer("none")] * 10, references)
    assert majority.values["change_reason"] == pytest.approx(0.6)
    assert majority.values["change_reason_balanced"] == pytest.approx(1 / 3)
    # none: 6/6, roaming: 1/2, late_fee: 0/2 -> (1 + 0.5 + 0) / 3
    mixed = score_bill_predictions(
        [_answer("none")] * 6 + [_answer("roaming"), "oops", _answer("none"), "{}"], references
    )
    assert mixed.values["change_reason_balanced"] == pytest.approx(0.5)
    assert mixed.stderr["change_reason_balanced"] == pytest.approx(math.sqrt(0 + 0.25 / 2 + 0) / 3)
    assert mixed.values["all_fields_exact"] == pytest.approx(0.7)


def test_a_subset_of_fields_is_scored_alone():
    reason_only = score_bill_predictions(
        ['{"bill_found": "true", "change_reason": "roaming"}'], [REF], fields=("bill_found", "change_reason")
    )
    assert reason_only.values == {
        "valid_json": 1.0,
        "bill_found": 1.0,
        "change_reason": 1.0,
        "all_fields_exact": 1.0,
        "change_reason_balanced": 1.0,
    }
    assert metric_names(("bill_found", "bill_id")) == ("valid_json", "bill_found", "bill_id", "all_fields_exact")
    with pytest.raises(InvalidInputError, match="subset"):
        score_bill_predictions([REF], [REF], fields=("amount",))
