import math

import pytest

from steps.errors import InvalidInputError
from steps.logic.bill_metrics import parse_answer, score_bill_predictions

REF = '{"bill_found": "true", "bill_id": "B-25455", "bill_date": "2025-02-09"}'
REF_NONE = '{"bill_found": "false", "bill_id": "", "bill_date": ""}'


def test_scores_on_crafted_predictions():
    predictions = [
        '  {"bill_found": "true", "bill_id": "B-25455", "bill_date": "2025-02-09"}\n',  # exact, whitespace
        '```json\n{"bill_found": true, "bill_id": " B-25455 ", "bill_date": "2025-02-09"}\n```',  # fenced, bool
        '{"bill_found": "true", "bill_id": "B-25456", "bill_date": "2025-02-09"}',  # wrong id
        '{"bill_found": "true", "bill_id": "B-25455", "bill_date": "2025-02-09"',  # invalid JSON
        'Answer: {"bill_found": "false", "bill_id": "", "bill_date": ""}',  # text around: invalid
        '{"bill_found": "False", "bill_id": "", "bill_date": ""}',  # exact after normalisation
        '["not", "an", "object"]',
        '{"bill_found": "false"}',  # missing keys
    ]
    references = [REF, REF, REF, REF, REF_NONE, REF_NONE, REF, REF_NONE]
    scores = score_bill_predictions(predictions, references)
    assert scores.n == 8
    assert scores.valid_json == pytest.approx(5 / 8)
    assert scores.bill_found == pytest.approx(5 / 8)
    assert scores.bill_id == pytest.approx(3 / 8)
    assert scores.bill_date == pytest.approx(4 / 8)
    assert scores.all_fields_exact == pytest.approx(3 / 8)
    assert scores.stderr["bill_id"] == pytest.approx(math.sqrt(3 / 8 * 5 / 8 / 8))
    assert set(scores.stderr) == {"valid_json", "bill_found", "bill_id", "bill_date", "all_fields_exact"}
    assert [row.all_fields_exact for row in scores.rows] == [True, True, False, False, False, True, False, False]
    assert scores.rows[2].bill_id is False and scores.rows[2].bill_date is True
    assert scores.metrics()["all_fields_exact"] == scores.all_fields_exact


def test_perfect_and_empty_inputs():
    scores = score_bill_predictions([REF, REF_NONE], [REF, REF_NONE])
    assert scores.all_fields_exact == 1.0 and scores.stderr["all_fields_exact"] == 0.0
    with pytest.raises(InvalidInputError, match="n=0"):
        score_bill_predictions([], [])
    with pytest.raises(InvalidInputError, match="2 predictions for 1 references"):
        score_bill_predictions([REF, REF], [REF])
    with pytest.raises(InvalidInputError, match="reference 0"):
        score_bill_predictions([REF], ["oops"])


def test_parse_answer_accepts_bare_fence():
    assert parse_answer('```\n{"a": 1}\n```') == {"a": 1}
    assert parse_answer("null") is None
