"""The business evaluation's memoization key: valid for Argo, stable, and changed by every input it covers."""

import json
from pathlib import Path

import pytest

from steps.business_eval_key import BusinessEvalSettings, key_of
from steps.logic.memo_key import is_argo_cache_key

JUDGE = {
    "name": "judge",
    "type": "llm-judge",
    "judge": {"url": "http://judge:8000/v1", "model": "judge-model"},
    "criteria": ["correctness"],
    "reference": "{{item.reference}}",
    "candidate": "{{sample.output_text}}",
}
FIELDS = {"name": "answer", "type": "json-fields", "fields": ["bill_id"]}


@pytest.fixture
def labels(tmp_path: Path) -> Path:
    path = tmp_path / "labels.jsonl"
    path.write_text('{"id": "1"}\n')
    return path


def settings(labels: Path, **changes) -> BusinessEvalSettings:
    judge = {**JUDGE, "calibration": {"labels": str(labels), "min_kappa": 0.6}}
    values = {
        "target": "base",
        "base_model": "llmops/tiny-llama",
        "model_key": "llmops-tiny-llama-345cf25db4c3",
        "adapter_id": "",
        "candidate": "",
        "dataset_uri": "local://datasets/bills@0123abcd",
        "business_metrics": json.dumps([FIELDS, judge]),
        "business_limit": 12,
        "business_max_tokens": 24,
        "business_headline": "answer.all_fields_exact",
    }
    return BusinessEvalSettings(**(values | changes))


def test_the_key_is_a_valid_argo_cache_key_and_ignores_json_spelling(labels):
    key = key_of(settings(labels))
    assert len(key) == 64 and is_argo_cache_key(f"business-eval-{key}")
    metrics = json.loads(settings(labels).business_metrics)
    respelled = json.dumps(metrics[::-1][::-1], indent=2, sort_keys=True)  # same value, other text
    assert key_of(settings(labels, business_metrics=respelled)) == key


@pytest.mark.parametrize(
    "change",
    [
        {"base_model": "llmops/other"},
        {"model_key": "llmops-tiny-llama-ffffffffffff"},
        {"adapter_id": "default/bills@cust-123"},
        {"dataset_uri": "local://datasets/bills@4567ef01"},
        {"business_metrics": json.dumps([FIELDS])},
        {"business_metrics": json.dumps([{**FIELDS, "fields": ["bill_id", "bill_date"]}, JUDGE])},
        {"business_metrics": json.dumps([FIELDS, {**JUDGE, "judge": {**JUDGE["judge"], "model": "other"}}])},
        {"business_limit": 13},
        {"business_max_tokens": 25},
        {"business_headline": "answer.valid_json"},
    ],
    ids=lambda change: ",".join(change),
)
def test_every_input_changes_the_key(labels, change):
    assert key_of(settings(labels, **change)) != key_of(settings(labels))


def test_the_role_is_not_in_the_key_a_champion_reuses_its_evaluation_as_a_candidate(labels):
    as_candidate = settings(labels, target="candidate", adapter_id="default/bills@cust-123", candidate="hot")
    as_champion = settings(labels, target="champion", adapter_id="default/bills@cust-123")
    assert key_of(as_champion) == key_of(as_candidate)


def test_the_judges_calibration_labels_change_the_key(labels):
    before = key_of(settings(labels))
    labels.write_text('{"id": "2"}\n')
    assert key_of(settings(labels)) != before
    labels.unlink()
    assert key_of(settings(labels)) not in {before, ""}  # a missing file has a key too (the evaluation then fails)


def test_the_package_version_changes_the_key(labels, monkeypatch):
    before = key_of(settings(labels))
    monkeypatch.setattr("steps.settings.llmops_version", lambda: "99.0.0")
    assert key_of(settings(labels)) != before
