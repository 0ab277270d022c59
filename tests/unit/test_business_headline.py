"""The headline score and the fields a metric list reads."""

import pytest

from steps.errors import InvalidInputError
from steps.logic.metrics import headline_of, missing_fields, parse_metric_specs

SPECS = parse_metric_specs(
    [
        {"name": "exact", "type": "exact-match", "reference": "{{item.reference}}"},
        {"name": "answer", "type": "json-fields", "fields": ["a", "b"], "balanced": ["b"]},
        {"name": "total", "type": "number-check", "check": ["{{sample.output_text}}", "==", "{{item.total}}"]},
    ]
)


def test_default_headline_is_the_first_score_and_a_requested_one_must_exist():
    assert headline_of(SPECS) == "exact.exact-match"
    assert headline_of(SPECS, "answer.b_balanced") == "answer.b_balanced"
    with pytest.raises(InvalidInputError) as info:
        headline_of(SPECS, "answer.c")
    assert "'answer.c'" in str(info.value) and "answer.all_fields_exact" in str(info.value)


def test_missing_fields_name_each_metric_and_field_some_row_lacks():
    rows = [{"id": "1", "reference": "{}", "total": 3}, {"id": "2", "reference": "{}"}]
    assert missing_fields(SPECS, rows) == {"total": ["total"]}
    assert missing_fields(SPECS, [{"id": "1", "reference": "x", "total": 1}]) == {}
