"""business-eval's headline metric: the task's default, or a metric the task computes."""

import pytest

from steps.business_eval import HEADLINE, headline_of, metric_names, score
from steps.errors import InvalidInputError


@pytest.mark.parametrize("task", ["bill-json", "bill-reason", "chat"])
def test_default_headline_is_a_computed_metric(task):
    assert headline_of(task) == headline_of(task, "") == HEADLINE[task]
    assert HEADLINE[task] in metric_names(task)


def test_a_computed_metric_can_be_the_headline():
    assert headline_of("bill-json", "bill_id") == "bill_id"
    assert headline_of("chat", "exact_match") == "exact_match"


def test_an_unknown_headline_lists_the_available_metrics():
    with pytest.raises(InvalidInputError) as info:
        headline_of("bill-json", "bleu")
    message = str(info.value)
    assert "'bleu'" in message and "'bill-json'" in message
    assert all(name in message for name in metric_names("bill-json"))
    with pytest.raises(InvalidInputError, match="choose one of: exact_match"):
        headline_of("chat", "all_fields_exact")


def test_metric_names_are_what_score_computes_for_chat():
    metrics, _ = score("chat", ["yes", "no"], ["yes", "yes"])
    assert {name for name in metrics if not name.endswith("_stderr")} == set(metric_names("chat"))
