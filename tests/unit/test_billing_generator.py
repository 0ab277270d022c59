import json
import subprocess
import sys
from pathlib import Path

import pytest

from steps.data import billing
from steps.data.billing import CHANGE_REASONS, generate_bill_records
from steps.data.generator_cli import write_jsonl
from steps.errors import InvalidInputError
from steps.logic.dataset_formats import convert_rows
from steps.logic.records import read_jsonl


def _bill_ids(records):
    return {bill["bill_id"] for record in records for bill in record["bills"]}


def test_same_seed_gives_identical_records():
    assert generate_bill_records(50, seed=7) == generate_bill_records(50, seed=7)


def test_different_seeds_give_different_customers_and_no_shared_bill_ids():
    first, second = generate_bill_records(400, seed=0), generate_bill_records(400, seed=1)
    assert not _bill_ids(first) & _bill_ids(second)
    assert {r["customer"]["account_id"] for r in first}.isdisjoint({r["customer"]["account_id"] for r in second})
    assert {r["record_id"] for r in first}.isdisjoint({r["record_id"] for r in second})


def test_records_have_the_documented_layout_and_pass_validation():
    records = generate_bill_records(300, seed=3)
    models = convert_rows(list(enumerate(records, start=1)), "bill-json", "generated")
    assert len(models) == 300
    assert len(_bill_ids(records)) == sum(len(r["bills"]) for r in records)  # unique within a seed
    assert len({r["customer"]["account_id"] for r in records}) == 300
    for record in records:
        assert record["record_id"].startswith("synthetic-")
        assert 3 <= len(record["bills"]) <= 5
        amounts = [bill["amount"] for bill in record["bills"]]
        assert len(set(amounts)) == len(amounts)
        for bill in record["bills"]:
            assert bill["change_reason"] in CHANGE_REASONS
            assert round(sum(item["amount"] for item in bill["line_items"]), 2) == bill["amount"]
        assert set(record["expected"]) == {"bill_found", "bill_id", "bill_date"}


def test_questions_quote_exactly_the_expected_bill():
    records = generate_bill_records(500, seed=11)
    found = [r for r in records if r["expected"]["bill_found"]]
    assert 0.68 < len(found) / len(records) < 0.82
    for record in records:
        question = record["question"]
        matches = [
            bill["bill_id"]
            for bill in record["bills"]
            if f"{bill['amount']:.2f} " in question or bill["bill_date"] in question
        ]
        if record["expected"]["bill_found"]:
            assert matches == [record["expected"]["bill_id"]]
        else:
            assert matches == [] and record["expected"]["bill_id"] == "" and record["expected"]["bill_date"] == ""


def test_some_questions_carry_customer_pii():
    records = generate_bill_records(300, seed=5)

    def has(field):
        return sum(r["customer"][field] in r["question"] for r in records)

    assert has("name") > 10 and has("email") > 10 and has("phone") > 5
    assert len({r["question"].split(" ")[0] for r in records}) >= 4  # several templates


def test_row_limit_is_an_input_error():
    with pytest.raises(InvalidInputError, match="between 1 and"):
        generate_bill_records(0, seed=0)


def test_notice_and_jsonl_round_trip(tmp_path: Path):
    assert "SYNTHETIC" in billing.SYNTHETIC_NOTICE and "synthetic" in billing.__doc__.lower()
    rows = generate_bill_records(5, seed=2)
    out = tmp_path / "sub" / "bills.jsonl"
    assert write_jsonl(out, rows) == 5
    assert [row for _, row in read_jsonl(out)] == json.loads(json.dumps(rows))


def test_cli_writes_the_file(tmp_path: Path):
    out = tmp_path / "bills.jsonl"
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "steps.data.billing", "--rows", "4", "--seed", "9", "--out", str(out)],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "wrote 4 rows" in done.stdout
    assert [row for _, row in read_jsonl(out)] == generate_bill_records(4, seed=9)


def test_most_questions_about_an_extra_charge_name_it_in_other_words():
    from steps.data.billing import _CHARGE_TEMPLATES

    records = generate_bill_records(400, seed=5)
    charged = []
    for record in records:
        bill = next((b for b in record["bills"] if b["bill_id"] == record["expected"]["bill_id"]), None)
        if bill is not None and bill["change_reason"] != "none":
            charged.append((record["question"], bill))
    phrasings = {
        reason: [t.split("{")[0] for pair in templates for t in pair] for reason, templates in _CHARGE_TEMPLATES.items()
    }
    named = [q for q, bill in charged if any(q.startswith(p) for p in phrasings[bill["change_reason"]])]
    assert 0.8 <= len(named) / len(charged) <= 0.97
    for question, bill in charged:  # the line item's own label never appears in the question
        assert bill["line_items"][1]["description"].lower() not in question.lower()
