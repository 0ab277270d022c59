"""json-fields: its own rules, and the billing example's numbers through it equal today's bill metrics."""

import json
import random
from pathlib import Path

import pytest

from steps.errors import InvalidInputError
from steps.logic.billing_records import ANSWER_KEYS, answer
from steps.logic.metrics import evaluate, parse_metric_specs
from steps.logic.metrics.json_fields import parse_json_object
from tests.oracles.bill_metrics import score_bill_predictions
from workflows import runspec

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = ROOT / "examples" / "bill-explainer" / "heldout.jsonl"
SPECS = {"bill-reason": "bill-explainer.yaml", "bill-json": "bill-explainer-nim.yaml"}  # committed run specs


def spec(**params):
    return parse_metric_specs([{"name": "answer", "type": "json-fields", **params}])[0]


def test_parse_json_object():
    assert parse_json_object('  ```json\n{"a": 1}\n```  ') == {"a": 1}
    assert parse_json_object('```\n{"a": 1}```') == {"a": 1}
    assert parse_json_object('Answer: {"a": 1}') is None
    assert parse_json_object("[1, 2]") is None
    assert parse_json_object("[" * 100000) is None


def test_field_rules():
    reference = {
        "id": "r",
        "reference": {"flag": True, "label": "Roaming", "tags": {"b": 1, "a": [1, 2]}, "none": None},
    }
    answer = '{"flag": "TRUE ", "label": " Roaming ", "tags": {"a": [1, 2], "b": 1}, "none": null}'
    metric = spec(fields=["flag", "label", "tags", "none"], ignore_case=["flag"])
    result = evaluate([metric], [reference], [{"output_text": answer}])
    assert result.values() == {
        "answer.valid_json": 1.0,
        "answer.flag": 1.0,
        "answer.label": 1.0,
        "answer.tags": 1.0,
        "answer.none": 1.0,
        "answer.all_fields_exact": 1.0,
    }
    wrong_case = evaluate([metric], [reference], [{"output_text": answer.replace("Roaming", "roaming")}])
    assert wrong_case.values()["answer.label"] == 0.0
    assert wrong_case.values()["answer.all_fields_exact"] == 0.0
    missing = evaluate([metric], [reference], [{"output_text": '{"flag": true}'}])
    assert missing.values()["answer.none"] == 0.0  # a field the answer lacks is wrong, even when the gold is null


def test_balanced_is_a_macro_mean_over_reference_classes():
    items = [{"id": str(i), "reference": json.dumps({"c": c})} for i, c in enumerate(["a", "a", "a", "b"])]
    samples = [{"output_text": '{"c": "a"}'}] * 4  # the majority class everywhere
    result = evaluate([spec(fields=["c"], balanced=["c"])], items, samples)
    assert result.scores["answer.c"].value == 0.75
    assert result.scores["answer.c_balanced"].value == 0.5
    assert [item.stratum for item in result.scores["answer.c_balanced"].items] == ["a", "a", "a", "b"]


def test_reference_must_be_an_object():
    with pytest.raises(InvalidInputError, match=r"parameter 'reference' for row '7': the reference is not a JSON"):
        evaluate([spec(fields=["a"])], [{"id": 7, "reference": "[1]"}], [{"output_text": "{}"}])


def _heldout_references(task: str) -> list[str]:
    references = []
    for line in HELDOUT.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        expected = row["expected"]
        reason = next((b["change_reason"] for b in row["bills"] if b["bill_id"] == expected["bill_id"]), "none")
        references.append(answer(task, expected["bill_found"], expected["bill_id"], expected["bill_date"], reason))
    return references


def _varied_prediction(reference: str, rng: random.Random) -> str:
    gold = json.loads(reference)
    answer = dict(gold)
    kind = rng.randrange(12)
    if kind == 0:
        return "not json at all"
    if kind == 1:
        return reference[:-1]  # truncated: invalid
    if kind == 2:
        return "```json\n" + reference + "\n```"
    if kind == 3:
        answer["bill_found"] = rng.choice([True, False, "True", "TRUE", "false", " true ", 1])
    if kind == 4 and "bill_id" in answer:
        answer["bill_id"] = " " + answer["bill_id"] + " "
    if kind == 5:
        answer["change_reason"] = rng.choice(["none", "roaming", "device_installment", "Roaming", "late_fee"])
    if kind == 6:
        answer.pop(rng.choice(list(answer)))
    if kind == 7:
        return json.dumps(list(answer.values()))
    if kind == 8:
        answer["change_reason"] = None
    if kind == 9 and "bill_date" in answer:
        answer["bill_date"] = "2024-01-01"
    if kind == 10:
        answer["bill_found"] = {"nested": True}
    return json.dumps(answer)


@pytest.mark.parametrize("task", ["bill-reason", "bill-json"])
def test_the_committed_billing_specs_reproduce_the_former_billing_numbers(task):
    fields = ANSWER_KEYS[task]
    references = _heldout_references(task)
    rng = random.Random(20240601)
    predictions = [_varied_prediction(reference, rng) for reference in references]
    predictions += ['{"bill_found": true, "change_reason": "none"}', "  " + references[0] + "\n"]
    references += [references[1], references[0]]
    today = score_bill_predictions(predictions, references, fields)

    committed = runspec.load(ROOT / "workflows" / "runs" / SPECS[task])
    assert committed.dataset.format == task
    [metric] = committed.business_eval.metrics  # the committed example's metric list, as data
    items = [{"id": f"row-{i}", "reference": reference} for i, reference in enumerate(references)]
    result = evaluate([metric], items, [{"output_text": prediction} for prediction in predictions])

    assert [name.removeprefix("answer.") for name in result.scores] == list(today.values)
    for name, value in today.values.items():
        score = result.scores[f"answer.{name}"]
        assert score.value == value, name
        # Values are equal to the bit. The stderr is item_scores.stderr, sqrt(sum((v - p)^2) / n / n), where
        # the old code computed sqrt(p(1 - p) / n): the same number, rounded differently in the last bit.
        assert score.stderr == pytest.approx(today.stderr[name], rel=1e-13, abs=0), name
        assert score.n == today.n
    for row, old in zip(result.rows, today.rows, strict=True):
        assert row["answer.valid_json"] == float(old.valid_json)
        assert row["answer.all_fields_exact"] == float(old.all_fields_exact)
        assert {field: row[f"answer.{field}"] for field in fields} == {k: float(v) for k, v in old.fields.items()}
    assert 0 < today.values["all_fields_exact"] < today.values["valid_json"] < 1
