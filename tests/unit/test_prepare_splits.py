"""build_splits (prepare-data's pure part) with and without a separate test source."""

import json
from pathlib import Path

import pytest

from steps.errors import InvalidInputError
from steps.prepare_data import build_splits

ROOT = Path(__file__).resolve().parents[2]
BILLS = ROOT / "examples" / "bill-explainer" / "bills.jsonl"
GROUP = "customer.account_id"


def _rows(start: int, stop: int) -> list[dict]:
    return [json.loads(line) for line in BILLS.read_text().splitlines()[start:stop]]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _ids(rows: list[dict]) -> set[str]:
    return {row.get("id", row.get("record_id")) for row in rows}


def test_without_a_test_source_all_three_splits_come_from_source(tmp_path):
    source = _write(tmp_path / "source.jsonl", _rows(0, 40))
    files, _ = build_splits(source, "bill-json", GROUP, 0.1, 0.2, 0)
    assert all(files.values()) and sum(len(rows) for rows in files.values()) == 40


def test_the_test_source_is_the_whole_test_split(tmp_path):
    train_rows, test_rows = _rows(0, 40), _rows(40, 60)
    source = _write(tmp_path / "source.jsonl", train_rows)
    test = _write(tmp_path / "test.jsonl", test_rows)
    files, pii = build_splits(source, "bill-json", GROUP, 0.2, 0.0, 0, test_path=test)
    testing = files["testing/testing.jsonl"]
    assert _ids(testing) == _ids(test_rows) and len(testing) == len(test_rows)
    trained = files["training/training.jsonl"] + files["validation/validation.jsonl"]
    assert len(trained) == len(train_rows)
    assert files["training/training.jsonl"] and files["validation/validation.jsonl"]
    # the test rows are anonymised like the source rows: no raw e-mail address survives
    emails = {row["customer"]["email"] for row in test_rows}
    assert not any(email in json.dumps(testing) for email in emails)
    both = _write(tmp_path / "both.jsonl", train_rows + test_rows)
    assert pii == build_splits(both, "bill-json", GROUP, 0.1, 0.2, 0)[1]  # PII counts cover both files
    # same input, same split (deterministic)
    assert build_splits(source, "bill-json", GROUP, 0.2, 0.0, 0, test_path=test)[0] == files


def test_a_customer_in_both_files_is_an_input_error_naming_both_files(tmp_path):
    rows = _rows(0, 40)
    source = _write(tmp_path / "source.jsonl", rows)
    shared = rows[5:12]
    test = _write(tmp_path / "test.jsonl", _rows(40, 50) + shared)
    with pytest.raises(InvalidInputError) as info:
        build_splits(source, "bill-json", GROUP, 0.1, 0.0, 0, test_path=test)
    message = str(info.value)
    assert str(source) in message and str(test) in message and "share 7 value(s) of customer.account_id" in message
    first = sorted(row["customer"]["account_id"] for row in shared)
    assert all(key in message for key in first[:5]) and first[5] not in message and "..." in message
    assert "another seed" in message


def test_test_source_rows_are_validated_with_file_line_and_field(tmp_path):
    source = _write(tmp_path / "source.jsonl", _rows(0, 20))
    bad = _rows(20, 23)
    del bad[1]["question"]
    test = _write(tmp_path / "test.jsonl", bad)
    with pytest.raises(InvalidInputError, match=rf"{test}:2: question"):
        build_splits(source, "bill-json", GROUP, 0.1, 0.0, 0, test_path=test)
    empty = _write(tmp_path / "empty.jsonl", [])
    with pytest.raises(InvalidInputError, match=rf"{empty}: no records"):
        build_splits(source, "bill-json", GROUP, 0.1, 0.0, 0, test_path=empty)


def test_a_test_fraction_with_a_test_source_is_rejected(tmp_path):
    source = _write(tmp_path / "source.jsonl", _rows(0, 20))
    test = _write(tmp_path / "test.jsonl", _rows(20, 25))
    with pytest.raises(InvalidInputError, match=r"test_fraction is 0\.2.*set test_fraction to 0"):
        build_splits(source, "bill-json", GROUP, 0.1, 0.2, 0, test_path=test)
    with pytest.raises(InvalidInputError, match="test_fraction must be between 0 and 1"):
        build_splits(source, "bill-json", GROUP, 0.1, 0.0, 0)  # 0 only with a test source


def test_without_group_by_every_row_is_its_own_group_and_a_missing_key_names_each_row(tmp_path):
    rows = _rows(0, 30)
    rows[3]["customer"]["account_id"] = rows[2]["customer"]["account_id"]  # two questions of one customer
    source = _write(tmp_path / "source.jsonl", rows)
    for seed in range(5):
        files, _ = build_splits(source, "bill-json", GROUP, 0.2, 0.2, seed)
        testing = _ids(files["testing/testing.jsonl"])  # training rows carry no id: look at the test split
        assert (rows[2]["record_id"] in testing) == (rows[3]["record_id"] in testing)
    ungrouped = _write(
        tmp_path / "chat.jsonl",
        [
            {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]}
            for i in range(9)
        ],
    )
    files, _ = build_splits(ungrouped, "openai-chat", "", 0.2, 0.2, 1)
    assert sum(len(split) for split in files.values()) == 9
    with pytest.raises(InvalidInputError) as info:
        build_splits(ungrouped, "openai-chat", "customer.account_id", 0.2, 0.2, 1)
    message = str(info.value)
    assert f"{ungrouped}:1: customer.account_id: missing" in message and f"{ungrouped}:9:" in message
