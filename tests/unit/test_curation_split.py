"""Curation split: stratified by intent, deterministic, synthetic rows only in training; the report."""

import json
import random

import pytest

from steps.errors import InvalidInputError
from steps.logic.curation import CurationRules, curate
from tests.unit.curation_logs import lines, log, many

RULES = CurationRules(validation_fraction=0.2, test_fraction=0.2, seed=3)


def _ids(curated):
    return {name: sorted(row["id"] for row in rows) for name, rows in curated.splits.items()}


def test_every_intent_is_in_every_split_in_proportion():
    records = many(20, "billing") + many(10, "plans") + many(5, "roaming")
    curated = curate(lines(*records), RULES, source="s")
    intents = curated.report.intents
    assert set(intents) == {"billing", "plans", "roaming"}
    for intent, total in (("billing", 20), ("plans", 10), ("roaming", 5)):
        counts = intents[intent]
        assert sum(counts.values()) == total and min(counts.values()) >= 1
        assert counts["training"] >= total // 2
    assert curated.report.splits == {name: len(rows) for name, rows in curated.splits.items()}


def test_the_split_depends_on_the_seed_not_on_row_order():
    records = many(20, "billing") + many(10, "plans")
    first = curate(lines(*records), RULES, source="s")
    shuffled = records[:]
    random.Random(0).shuffle(shuffled)
    assert _ids(curate(lines(*shuffled), RULES, source="s")) == _ids(first)
    other = curate(lines(*records), RULES.model_copy(update={"seed": 4}), source="s")
    assert _ids(other) != _ids(first)


def test_synthetic_rows_are_never_in_validation_or_testing():
    records = many(10, "billing") + [
        log(f"synthetic billing question {index}?", "a", intent="billing", synthetic=True) for index in range(30)
    ]
    curated = curate(lines(*records), RULES, source="s")
    assert curated.report.synthetic == 30
    for name in ("validation", "testing"):
        assert curated.splits[name] and not any(row.get("synthetic") for row in curated.splits[name])
    assert sum(bool(row.get("synthetic")) for row in curated.splits["training"]) == 30


def test_small_intents_are_pooled_or_go_to_training():
    records = many(10, "billing") + many(2, "plans") + many(1, "roaming")
    report = curate(lines(*records), RULES, source="s").report
    assert report.pooled_intents == ["plans", "roaming"] and report.training_only_intents == []
    report = curate(lines(*many(10, "billing"), *many(1, "roaming")), RULES, source="s").report
    assert report.training_only_intents == ["roaming"] and report.intents["roaming"]["training"] == 1


def test_without_a_test_fraction_there_is_no_testing_split():
    rules = RULES.model_copy(update={"test_fraction": 0.0})
    curated = curate(lines(*many(10, "billing")), rules, source="s")
    assert curated.splits["testing"] == [] and curated.splits["validation"]


def test_too_few_rows_left_is_an_error_naming_the_count():
    with pytest.raises(InvalidInputError, match="2 production row"):
        curate(lines(*many(2, "billing")), RULES, source="s")


def test_the_report_is_json_with_the_time_window_models_and_rules():
    records = [
        log("q1?", timestamp="2025-01-03T08:00:00+02:00", intent="a"),
        log("q2?", timestamp="2025-01-01T00:00:00Z", intent="a"),
        log("q3?", timestamp="2025-01-02T00:00:00Z", intent="a", feedback={"rating": "down"}),
        *many(3, "b"),
    ]
    report = curate(lines(*records), RULES, source="drop/2025-01.jsonl").report
    data = json.loads(json.dumps(report.model_dump(mode="json")))
    assert data["first_timestamp"] == "2025-01-01T00:00:00Z"
    assert data["last_timestamp"] == "2025-01-03T08:00:00+02:00"
    assert data["models"] == {"agent-v1": 6} and data["rules"]["seed"] == 3 and data["source"] == "drop/2025-01.jsonl"
    assert data["dropped_by_rule"] == {"rated_down": 1} and data["kept"] == 5
    summary = report.summary()
    assert summary["read"] == 6 and summary["dropped_rated_down"] == 1 and summary["pii_email"] == 0
    assert sum(summary[f"rows_{name}"] for name in ("training", "validation", "testing")) == 5
