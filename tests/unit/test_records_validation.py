import copy
from pathlib import Path

import pytest

from steps.data.billing import generate_bill_records
from steps.errors import InvalidInputError, NotFoundError
from steps.logic.dataset_formats import convert_rows
from steps.logic.records import read_jsonl


def test_read_jsonl_numbers_lines_and_skips_blank_ones(tmp_path: Path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n\n   \n{"a": 2}\n', encoding="utf-8")
    assert read_jsonl(path) == [(1, {"a": 1}), (4, {"a": 2})]


def test_read_jsonl_names_file_and_line_of_malformed_json(tmp_path: Path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2,,}\n{"a": 3}\n', encoding="utf-8")
    with pytest.raises(InvalidInputError) as info:
        read_jsonl(path)
    message = str(info.value)
    assert message.startswith(f"{path}:3: not valid JSON:")
    assert "Fix the line or remove it." in message


def test_read_jsonl_rejects_non_objects_and_missing_files(tmp_path: Path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"rows.jsonl:2: expected a JSON object, got list"):
        read_jsonl(path)
    with pytest.raises(NotFoundError, match=r"missing\.jsonl"):
        read_jsonl(tmp_path / "missing.jsonl")


def test_validation_collects_every_error_with_line_and_field():
    good = generate_bill_records(4, seed=1)
    rows = [copy.deepcopy(r) for r in good]
    rows[0]["bills"][1]["amount"] = "a lot"  # type error, nested
    rows[1]["unexpected"] = 1  # extra field
    del rows[2]["question"]  # missing field
    rows[2]["bills"][0]["bill_date"] = "2024-13-01"  # impossible date, same line
    rows[3]["record_id"] = rows[0]["record_id"]  # duplicate id
    with pytest.raises(InvalidInputError) as info:
        convert_rows(list(zip([10, 11, 12, 13], rows, strict=True)), "bill-json", "bills.jsonl")
    message = str(info.value)
    assert "bills.jsonl:10: bills.1.amount:" in message
    assert "bills.jsonl:11: unexpected: Extra inputs are not permitted" in message
    assert "bills.jsonl:12: question: Field required" in message
    assert "bills.jsonl:12: bills.0.bill_date:" in message
    assert "bills.jsonl:13: record_id: duplicate" in message and "first on line 10" in message


def test_semantic_checks_on_expected_bill():
    record = generate_bill_records(1, seed=4)[0]
    found = copy.deepcopy(record)
    found["expected"] = {"bill_found": True, "bill_id": "B-00000", "bill_date": "2024-01-01"}
    not_found = copy.deepcopy(record)
    not_found["expected"] = {"bill_found": False, "bill_id": record["bills"][0]["bill_id"], "bill_date": ""}
    with pytest.raises(InvalidInputError) as info:
        convert_rows([(1, found), (2, not_found)], "bill-json", "s")
    assert "s:1: expected.bill_id: 'B-00000' is not one of this record's bills" in str(info.value)
    assert "s:2: expected: bill_found is false" in str(info.value)


def test_error_list_is_capped_at_twenty():
    rows = [(line, {"record_id": f"r{line}"}) for line in range(1, 31)]
    with pytest.raises(InvalidInputError) as info:
        convert_rows(rows, "bill-json", "x")
    assert "... and " in str(info.value) and str(info.value).count("\nx:") == 20


def test_valid_rows_become_chat_records_and_an_unknown_format_is_rejected():
    rows = list(enumerate(generate_bill_records(3, seed=2), start=1))
    converted = convert_rows(rows, "bill-json", "s")
    assert [item.record.id for item in converted] == [row["record_id"] for _, row in rows]
    assert [item.line for item in converted] == [1, 2, 3]
    with pytest.raises(InvalidInputError, match="unknown dataset format 'summarize'"):
        convert_rows(rows, "summarize", "s")


def test_chat_records_need_a_final_assistant_message():
    ok = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    bad = {"messages": [{"role": "user", "content": "hi"}, {"role": "user", "content": "?"}]}
    assert convert_rows([(1, ok)], "openai-chat", "c")[0].record.messages[-1].content == "hello"
    with pytest.raises(InvalidInputError, match=r"c:2: messages: .*last message must be the assistant"):
        convert_rows([(1, ok), (2, bad)], "openai-chat", "c")
