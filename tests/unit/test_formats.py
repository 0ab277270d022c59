import json

import pytest

from steps.data.billing import generate_bill_records
from steps.errors import InvalidInputError
from steps.logic.anonymize import anonymize_record
from steps.logic.formats import bill_system_prompt, to_evaluation_example, to_training_example
from steps.logic.records import validate_records


def _record():
    raw = generate_bill_records(1, seed=0)[0]
    raw["question"] = f"Hi, this is {raw['customer']['name']}. I was charged {raw['bills'][1]['amount']:.2f} USD, why?"
    raw["expected"] = {
        "bill_found": True,
        "bill_id": raw["bills"][1]["bill_id"],
        "bill_date": raw["bills"][1]["bill_date"],
    }
    return raw


def test_bill_training_example_layout():
    raw = _record()
    example = to_training_example(raw, "bill-json")
    system, user, assistant = example["messages"]
    assert system == {"role": "system", "content": bill_system_prompt("bill-json")}
    assert "change_reason" in system["content"] and "bill_id" in system["content"]
    lines = user["content"].split("\n")
    assert lines[0] == "Customer bills:"
    extras = [
        "; ".join(f"{i['description']} {i['amount']:.2f}" for i in b["line_items"][1:-1]) or "no extra charges"
        for b in raw["bills"]
    ]
    assert lines[1:-1] == [
        f"{b['amount']:.2f} {b['currency']} | {b['bill_id']} | {b['bill_date']} | {extra}"
        for b, extra in zip(raw["bills"], extras, strict=True)
    ]
    assert any(extra != "no extra charges" for extra in extras) and "Taxes" not in user["content"]
    assert lines[-1] == f"Question: Hi, this is <NAME_1>. I was charged {raw['bills'][1]['amount']:.2f} USD, why?"
    assert assistant["role"] == "assistant"
    assert assistant["content"] == json.dumps(
        {
            "bill_found": "true",
            "bill_id": raw["bills"][1]["bill_id"],
            "bill_date": raw["bills"][1]["bill_date"],
            "change_reason": raw["bills"][1]["change_reason"],
        }
    )


def test_evaluation_reference_round_trips_to_expected_for_every_record():
    raws = generate_bill_records(60, seed=8)
    models = validate_records(list(enumerate(raws, start=1)), "bill-json", "s")
    for raw, model in zip(raws, models, strict=True):
        anonymised, _ = anonymize_record(model, "bill-json")
        example = to_evaluation_example(anonymised, "bill-json")
        assert [m["role"] for m in example["messages"]] == ["system", "user"]
        assert example["record_id"] == raw["record_id"]
        reference = json.loads(example["reference"])
        expected = raw["expected"]
        bill = next((b for b in raw["bills"] if expected["bill_found"] and b["bill_id"] == expected["bill_id"]), None)
        assert reference == {
            "bill_found": "true" if expected["bill_found"] else "false",
            "bill_id": expected["bill_id"],
            "bill_date": expected["bill_date"],
            "change_reason": bill["change_reason"] if bill else "none",
        }
        assert to_training_example(anonymised, "bill-json")["messages"][:2] == example["messages"]
        # a raw record gives the same prompt: the question is anonymised during conversion too
        assert to_evaluation_example(raw, "bill-json") == example
        assert raw["customer"]["email"] not in example["messages"][1]["content"]


def test_chat_examples_split_off_the_final_assistant_turn():
    raw = {
        "record_id": "c-1",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Email me at jo@example.com"},
            {"role": "assistant", "content": "Sent to jo@example.com."},
        ],
    }
    training = to_training_example(raw, "chat")
    evaluation = to_evaluation_example(raw, "chat")
    assert training["messages"][1]["content"] == "Email me at <EMAIL_1>"
    assert evaluation == {"messages": training["messages"][:2], "reference": "Sent to <EMAIL_1>.", "record_id": "c-1"}
    unnamed = dict(raw, record_id=None)
    first, second = to_evaluation_example(unnamed, "chat"), to_evaluation_example(unnamed, "chat")
    assert first["record_id"].startswith("chat-") and first["record_id"] == second["record_id"]


def test_a_record_of_the_wrong_task_is_an_input_error():
    with pytest.raises(InvalidInputError, match="not a valid 'chat' record: messages: Field required"):
        to_training_example(generate_bill_records(1, seed=0)[0], "chat")


def test_bill_reason_task_asks_only_for_found_and_reason():
    raw = _record()
    reason = to_training_example(raw, "bill-reason")
    full = to_training_example(raw, "bill-json")
    assert reason["messages"][1] == full["messages"][1]  # same question and bills
    assert reason["messages"][0]["content"] == "Extract the bill as JSON with keys bill_found, change_reason."
    assert json.loads(reason["messages"][2]["content"]) == {
        "bill_found": "true",
        "change_reason": raw["bills"][1]["change_reason"],
    }
