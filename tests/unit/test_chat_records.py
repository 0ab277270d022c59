"""The chat record format: conversion of each raw layout, split rows, anonymisation of contents and fields."""

import json

import pytest

from steps.data.billing import generate_bill_records
from steps.errors import InvalidInputError
from steps.logic import billing_records
from steps.logic.anonymize import anonymize_record
from steps.logic.chat_records import ChatRecord, evaluation_row, record_id, training_row
from steps.logic.dataset_formats import convert_rows


def _one(row: dict, fmt: str) -> ChatRecord:
    return convert_rows([(1, row)], fmt, "s")[0].record


def test_billing_records_become_a_prompt_and_a_json_answer_with_the_contract_keys():
    raw = generate_bill_records(1, seed=0)[0]
    for fmt, keys in billing_records.ANSWER_KEYS.items():
        record = _one(raw, fmt)
        system, user, assistant = training_row(record)["messages"]
        assert system == {"role": "system", "content": billing_records.system_prompt(fmt)}
        assert user["content"].startswith("Customer bills:\n") and user["content"].endswith(raw["question"])
        assert tuple(json.loads(assistant["content"])) == keys
        row = evaluation_row(record)
        assert row["id"] == raw["record_id"] and row["messages"] == [system, user]
        assert row["reference"] == assistant["content"] and "customer" not in row


def test_anonymisation_covers_message_contents_with_the_customer_name():
    raw = generate_bill_records(1, seed=0)[0]
    customer = raw["customer"]
    raw["question"] = f"I am {customer['name']}, mail {customer['email']}, phone {customer['phone']}. Why 12.34 USD?"
    item = convert_rows([(1, raw)], "bill-reason", "s")[0]
    record, counts = anonymize_record(item.record, item.names)
    assert record.messages[1].content.endswith("I am <NAME_1>, mail <EMAIL_1>, phone <PHONE_1>. Why 12.34 USD?")
    assert counts == {"email": 1, "card": 0, "phone": 1, "name": 1}
    assert record.messages[0] == item.record.messages[0] and record.messages[2] == item.record.messages[2]


def test_openai_chat_keeps_other_fields_for_templates_and_anonymises_their_strings():
    raw = {
        "id": "c-1",
        "customer": {"name": "Jo Lee", "email": "jo@example.com", "account_id": "A-1"},
        "expected_total": 12.5,
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Jo Lee here, email me at jo@example.com"},
            {"role": "assistant", "content": "Sent to jo@example.com."},
        ],
    }
    item = convert_rows([(1, raw)], "openai-chat", "s")[0]
    record, counts = anonymize_record(item.record, item.names)
    assert training_row(record) == {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "<NAME_1> here, email me at <EMAIL_1>"},
            {"role": "assistant", "content": "Sent to <EMAIL_1>."},
        ]
    }
    row = evaluation_row(record)
    assert row["reference"] == "Sent to <EMAIL_1>." and row["expected_total"] == 12.5
    assert row["customer"] == {"name": "<NAME_1>", "email": "<EMAIL_1>", "account_id": "A-1"}
    assert counts["email"] == 3 and counts["name"] == 2
    again, more = anonymize_record(record, item.names)
    assert again == record and sum(more.values()) == 0


def test_tool_calls_and_tools_reach_the_right_rows():
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    call = {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}
    raw = {
        "messages": [{"role": "user", "content": "Weather in Oslo?"}, {"role": "assistant", "tool_calls": [call]}],
        "tools": tools,
    }
    record = _one(raw, "openai-chat")
    assert training_row(record) == {"messages": raw["messages"], "tools": tools}
    row = evaluation_row(record)
    assert row["reference"] == "" and row["tool_calls"] == [call] and row["tools"] == tools
    assert row["id"] == record_id(record) and row["id"].startswith("row-")
    assert evaluation_row(_one(raw, "openai-chat"))["id"] == row["id"]  # the content hash is stable


def test_prompt_completion_pairs_become_conversations():
    record = _one(
        {"id": "p1", "system": "Answer with a number.", "prompt": "2+2?", "completion": "4", "unit": "x"},
        "prompt-completion",
    )
    assert [m.role for m in record.messages] == ["system", "user", "assistant"]
    assert evaluation_row(record) == {
        "id": "p1",
        "unit": "x",
        "messages": [{"role": "system", "content": "Answer with a number."}, {"role": "user", "content": "2+2?"}],
        "reference": "4",
    }


@pytest.mark.parametrize(
    ("row", "fmt", "expected"),
    [
        ({"prompt": "q"}, "prompt-completion", "s:1: completion: Field required"),
        ({"messages": [{"role": "user", "content": "q"}, {"role": "assistant"}]}, "openai-chat", "s:1: messages.1:"),
        (
            {"messages": [{"role": "user", "content": "q", "tool_calls": []}, {"role": "assistant", "content": "a"}]},
            "openai-chat",
            "s:1: messages.0:",
        ),
        (
            {"reference": "x", "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]},
            "openai-chat",
            "reserved",
        ),
        (
            {"messages": [{"role": "robot", "content": "q"}, {"role": "assistant", "content": "a"}]},
            "openai-chat",
            "messages.0.role",
        ),
    ],
)
def test_bad_rows_are_reported_with_line_and_field(row, fmt, expected):
    with pytest.raises(InvalidInputError, match="problem") as info:
        convert_rows([(1, row)], fmt, "s")
    assert expected in str(info.value)
