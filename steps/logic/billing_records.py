"""The billing example's raw records and their conversion to chat records (the `bill-json` / `bill-reason` formats).

One customer question over several of that customer's bills. The converter writes the prompt (the
bills with their extra line items, then the question) and the expected answer as one line of JSON
with the answer contract's keys, in a fixed order. The customer's fields do not reach the chat
record: only their name, which anonymisation replaces in the question.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ChangeReason = Literal["none", "roaming", "late_fee", "plan_upgrade", "device_installment", "streaming_addon"]

# The answer contract of each billing format: the JSON keys, in this order.
#   bill-json:   the case study's contract (find the bill the customer means, and why it changed);
#   bill-reason: triage only (is there such a bill, and why did it change), no id or date to look up.
ANSWER_KEYS = {
    "bill-json": ("bill_found", "bill_id", "bill_date", "change_reason"),
    "bill-reason": ("bill_found", "change_reason"),
}
# One line, fixed key order, the separators of the case study: {"bill_found": "true", "bill_id": ...}
ANSWER_SEPARATORS = (", ", ": ")
# Line items that every bill has; the others are the extra charges shown in the prompt.
_REGULAR_ITEMS = ("Monthly plan", "Taxes and surcharges")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Customer(_Strict):
    name: str = Field(min_length=1)
    email: str
    phone: str
    account_id: str = Field(min_length=1)


class LineItem(_Strict):
    description: str = Field(min_length=1)
    amount: float = Field(allow_inf_nan=False)


class Bill(_Strict):
    bill_id: str = Field(min_length=1)
    bill_date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    amount: float = Field(allow_inf_nan=False)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    line_items: list[LineItem] = Field(default_factory=list)
    change_reason: ChangeReason = "none"

    @field_validator("bill_date")
    @classmethod
    def _real_date(cls, value: str) -> str:
        date.fromisoformat(value)  # ValueError -> "Value error, month must be in 1..12"
        return value


class Expected(_Strict):
    bill_found: bool
    bill_id: str
    bill_date: str


class BillRecord(_Strict):
    record_id: str = Field(min_length=1)
    customer: Customer
    bills: list[Bill] = Field(min_length=1)
    question: str = Field(min_length=1)
    expected: Expected

    def semantic_errors(self) -> list[tuple[str, str]]:
        """(field path, message) for rules that span fields."""
        errors: list[tuple[str, str]] = []
        ids = [bill.bill_id for bill in self.bills]
        for index, bill_id in enumerate(ids):
            if bill_id in ids[:index]:
                errors.append((f"bills.{index}.bill_id", f"duplicate bill id {bill_id!r} in this record"))
        exp = self.expected
        if exp.bill_found:
            match = next((bill for bill in self.bills if bill.bill_id == exp.bill_id), None)
            if match is None:
                errors.append(("expected.bill_id", f"{exp.bill_id!r} is not one of this record's bills {ids}"))
            elif match.bill_date != exp.bill_date:
                errors.append(
                    (
                        "expected.bill_date",
                        f"{exp.bill_date!r} differs from bill {match.bill_id}'s date {match.bill_date!r}",
                    )
                )
        elif exp.bill_id or exp.bill_date:
            errors.append(("expected", "bill_found is false, so bill_id and bill_date must be empty strings"))
        return errors


def system_prompt(fmt: str) -> str:
    return f"Extract the bill as JSON with keys {', '.join(ANSWER_KEYS[fmt])}."


def answer(fmt: str, bill_found: bool, bill_id: str, bill_date: str, change_reason: str) -> str:
    """Canonical assistant answer: booleans as the strings "true"/"false", empty id/date when not found.

    `change_reason` is the found bill's reason (what was added to the plan price), "none" otherwise.
    """
    values = {
        "bill_found": "true" if bill_found else "false",
        "bill_id": bill_id if bill_found else "",
        "bill_date": bill_date if bill_found else "",
        "change_reason": change_reason if bill_found else "none",
    }
    return json.dumps({key: values[key] for key in ANSWER_KEYS[fmt]}, separators=ANSWER_SEPARATORS, ensure_ascii=False)


def _extras(bill: Bill) -> str:
    extras = [
        f"{item.description} {item.amount:.2f}"
        for item in bill.line_items
        if not item.description.startswith(_REGULAR_ITEMS)
    ]
    return "; ".join(extras) or "no extra charges"


def user_prompt(record: BillRecord) -> str:
    lines = [
        f"{bill.amount:.2f} {bill.currency} | {bill.bill_id} | {bill.bill_date} | {_extras(bill)}"
        for bill in record.bills
    ]
    return "Customer bills:\n" + "\n".join(lines) + f"\nQuestion: {record.question}"


def to_chat(record: BillRecord, fmt: str) -> dict[str, Any]:
    """The chat record of a billing record: system prompt, the bills and question, the JSON answer."""
    exp = record.expected
    reason = next((bill.change_reason for bill in record.bills if bill.bill_id == exp.bill_id), "none")
    return {
        "id": record.record_id,
        "messages": [
            {"role": "system", "content": system_prompt(fmt)},
            {"role": "user", "content": user_prompt(record)},
            {"role": "assistant", "content": answer(fmt, exp.bill_found, exp.bill_id, exp.bill_date, reason)},
        ],
    }
