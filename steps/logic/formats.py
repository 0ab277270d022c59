"""Conversion of validated records to the NeMo Customizer chat format and the evaluation format.

Training row:   {"messages": [system, user, assistant]}
Evaluation row: {"messages": [system, user], "reference": <assistant content>, "record_id": ...}

Questions and chat contents are anonymised here as well (idempotent), so a raw record never puts
PII into a training or evaluation file.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from steps.logic.anonymize import anonymize_text
from steps.logic.records import BillRecord, ChatRecord, Record, parse_record

# The answer contract of each bill task: the JSON keys, in this order.
#   bill-json:   the case study's contract (find the bill the customer means, and why it changed);
#   bill-reason: triage only (is there such a bill, and why did it change), no id or date to look up.
BILL_ANSWER_KEYS = {
    "bill-json": ("bill_found", "bill_id", "bill_date", "change_reason"),
    "bill-reason": ("bill_found", "change_reason"),
}
# One line, fixed key order, the separators of the case study: {"bill_found": "true", "bill_id": ...}
ANSWER_SEPARATORS = (", ", ": ")
# Line items that every bill has; the others are the extra charges shown in the prompt.
_REGULAR_ITEMS = ("Monthly plan", "Taxes and surcharges")


def bill_system_prompt(task: str) -> str:
    return f"Extract the bill as JSON with keys {', '.join(BILL_ANSWER_KEYS[task])}."


def bill_answer(task: str, bill_found: bool, bill_id: str, bill_date: str, change_reason: str) -> str:
    """Canonical assistant answer: booleans as the strings "true"/"false", empty id/date when not found.

    `change_reason` is the found bill's reason (what was added to the plan price), "none" otherwise.
    """
    answer = {
        "bill_found": "true" if bill_found else "false",
        "bill_id": bill_id if bill_found else "",
        "bill_date": bill_date if bill_found else "",
        "change_reason": change_reason if bill_found else "none",
    }
    return json.dumps(
        {key: answer[key] for key in BILL_ANSWER_KEYS[task]}, separators=ANSWER_SEPARATORS, ensure_ascii=False
    )


def _extras(bill) -> str:
    extras = [
        f"{item.description} {item.amount:.2f}"
        for item in bill.line_items
        if not item.description.startswith(_REGULAR_ITEMS)
    ]
    return "; ".join(extras) or "no extra charges"


def bill_user_prompt(record: BillRecord) -> str:
    names = [record.customer.name]
    question, _ = anonymize_text(record.question, names)
    lines = [
        f"{bill.amount:.2f} {bill.currency} | {bill.bill_id} | {bill.bill_date} | {_extras(bill)}"
        for bill in record.bills
    ]
    return "Customer bills:\n" + "\n".join(lines) + f"\nQuestion: {question}"


def _bill_messages(record: BillRecord, task: str) -> tuple[list[dict[str, str]], str]:
    prompt = [
        {"role": "system", "content": bill_system_prompt(task)},
        {"role": "user", "content": bill_user_prompt(record)},
    ]
    exp = record.expected
    reason = next((bill.change_reason for bill in record.bills if bill.bill_id == exp.bill_id), "none")
    return prompt, bill_answer(task, exp.bill_found, exp.bill_id, exp.bill_date, reason)


def _chat_messages(record: ChatRecord) -> tuple[list[dict[str, str]], str]:
    names = [record.customer.name] if record.customer is not None else []
    messages = [
        {"role": message.role, "content": anonymize_text(message.content, names)[0]} for message in record.messages
    ]
    return messages[:-1], messages[-1]["content"]


def _split(record: Record, task: str) -> tuple[list[dict[str, str]], str]:
    if isinstance(record, BillRecord):
        return _bill_messages(record, task)
    return _chat_messages(record)


def record_id_of(record: Record) -> str:
    """The record's id; a chat record without one gets `chat-` + 12 hex of its content hash."""
    if record.record_id:
        return record.record_id
    digest = hashlib.sha256(record.model_dump_json().encode("utf-8")).hexdigest()
    return f"chat-{digest[:12]}"


def to_training_example(record: Record | dict[str, Any], task: str) -> dict[str, Any]:
    """{"messages": [...prompt, {"role": "assistant", "content": reference}]}"""
    prompt, reference = _split(parse_record(record, task), task)
    return {"messages": [*prompt, {"role": "assistant", "content": reference}]}


def to_evaluation_example(record: Record | dict[str, Any], task: str) -> dict[str, Any]:
    """{"messages": prompt, "reference": reference answer, "record_id": id}"""
    model = parse_record(record, task)
    prompt, reference = _split(model, task)
    return {"messages": prompt, "reference": reference, "record_id": record_id_of(model)}


def group_key(task: str):
    """What keeps related rows in one split: a customer's rows never straddle training and testing."""

    def key(record: Record) -> str:
        customer = getattr(record, "customer", None)
        return customer.account_id if customer is not None else record_id_of(record)

    return key
