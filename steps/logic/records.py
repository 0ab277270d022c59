"""Raw record reading and validation: every bad row is reported at once, with its line and field."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from steps.errors import InvalidInputError, NotFoundError

TASKS = ("bill-json", "bill-reason", "chat")
MAX_ERRORS_SHOWN = 20
ChangeReason = Literal["none", "roaming", "late_fee", "plan_upgrade", "device_installment"]


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
    """One customer question over several of that customer's bills (the bill-json and bill-reason tasks)."""

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


class ChatMessage(_Strict):
    role: Literal["system", "user", "assistant"]
    content: str


class ChatRecord(_Strict):
    """A conversation whose final assistant message is the reference answer (the chat task)."""

    record_id: str | None = Field(default=None, min_length=1)
    customer: Customer | None = None  # optional: lets anonymisation and splits use the customer
    messages: list[ChatMessage] = Field(min_length=2)

    @field_validator("messages")
    @classmethod
    def _shape(cls, messages: list[ChatMessage]) -> list[ChatMessage]:
        if messages[-1].role != "assistant":
            raise ValueError("the last message must be the assistant's reference answer")
        if not any(message.role == "user" for message in messages[:-1]):
            raise ValueError("at least one user message must come before the final assistant message")
        return messages

    def semantic_errors(self) -> list[tuple[str, str]]:
        return []


Record = BillRecord | ChatRecord
MODELS: dict[str, type[BillRecord] | type[ChatRecord]] = {
    "bill-json": BillRecord,
    "bill-reason": BillRecord,
    "chat": ChatRecord,
}


def model_for(task: str) -> type[BillRecord] | type[ChatRecord]:
    if task not in MODELS:
        raise InvalidInputError(f"unknown task {task!r}; use one of: {', '.join(TASKS)}")
    return MODELS[task]


def parse_record(record: Record | dict[str, Any], task: str) -> Record:
    """A record model for `task` from a model or a plain dict; InvalidInputError when it does not fit."""
    model_type = model_for(task)
    if isinstance(record, model_type):
        return record
    data = record.model_dump() if isinstance(record, BaseModel) else record
    try:
        return model_type.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{_dotted(e['loc'])}: {e['msg']}" for e in error.errors(include_url=False))
        raise InvalidInputError(f"record is not a valid {task!r} record: {problems}") from None


def read_jsonl(path: Path | str) -> list[tuple[int, dict[str, Any]]]:
    """(1-based line number, object) for every non-blank line of a JSONL file."""
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file; check the dataset path.")
    rows: list[tuple[int, dict[str, Any]]] = []
    with path.open("rb") as handle:
        for line_number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise InvalidInputError(
                    f"{path}:{line_number}: not UTF-8 text: {error}. Fix the line or remove it."
                ) from None
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                raise InvalidInputError(
                    f"{path}:{line_number}: not valid JSON: {error}. Fix the line or remove it."
                ) from None
            if not isinstance(value, dict):
                raise InvalidInputError(
                    f"{path}:{line_number}: expected a JSON object, got {type(value).__name__}. "
                    "Each line must hold one record object."
                )
            rows.append((line_number, value))
    return rows


def _dotted(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(record)"


def validate_records(rows: list[tuple[int, dict[str, Any]]], task: str, source: str) -> list[Record]:
    """Validate every row; raise one InvalidInputError listing all problems as `source:line: field: message`."""
    model = model_for(task)
    errors: list[str] = []
    records: list[Record] = []
    first_line: dict[str, int] = {}
    for line, row in rows:
        record_id = row.get("record_id")
        if isinstance(record_id, str) and record_id:
            if record_id in first_line:
                errors.append(
                    f"{source}:{line}: record_id: duplicate {record_id!r} (first on line {first_line[record_id]})"
                )
            else:
                first_line[record_id] = line
        try:
            record = model.model_validate(row)
        except ValidationError as error:
            for item in error.errors(include_url=False):
                errors.append(f"{source}:{line}: {_dotted(item['loc'])}: {item['msg']}")
            continue
        for field, message in record.semantic_errors():
            errors.append(f"{source}:{line}: {field}: {message}")
        records.append(record)
    if not rows:
        errors.append(f"{source}: no records; the file is empty.")
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        more = f"\n... and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
        raise InvalidInputError(
            f"{source}: {len(errors)} problem(s) in {task!r} records:\n"
            + "\n".join(shown)
            + more
            + "\nFix these rows and run again."
        )
    return records
