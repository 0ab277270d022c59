"""Raw dataset layouts and their conversion to chat records (`steps/logic/chat_records.py`).

The run spec's `dataset.format` names the layout of its raw JSONL rows:
- `openai-chat`: already a chat record (`messages`, optional `tools`, any other fields kept);
- `prompt-completion`: `{"prompt", "completion", "system"?, "id"?, ...}` -> system?, user, assistant;
- `bill-json` / `bill-reason`: the billing example's records (`steps/logic/billing_records.py`);
- `xlam`: function-calling rows `{"query", "tools", "answers"}` (`steps/logic/xlam_records.py`);
- `xlam-tutorial`: the same, with the selection of NVIDIA's tool-calling tutorial (`select_rows`);
- `production-logs`: OpenAI chat-completion logs, curated as a batch rather than converted here
  (`steps/logic/curation`, docs/curation.md).

Every row is checked before anything is written; all problems are reported at once as
`source:line: field: message`. Names to anonymise come from a row's `customer.name` when it has one.
A format may select rows before conversion (`SELECTIONS`): rows it leaves out are counted by reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from steps.errors import InvalidInputError
from steps.logic import billing_records, xlam_records
from steps.logic.chat_records import ChatRecord
from steps.logic.field_paths import dotted, one_line

FORMATS = ("openai-chat", "prompt-completion", "bill-json", "bill-reason", "xlam", "xlam-tutorial")
# With production-logs (steps.io.PRODUCTION_LOGS): records curated as a batch (steps/logic/curation:
# deduplicated, selected, split by intent), not converted row by row; prepare-data reads them with
# `steps.curated_source`.
ALL_FORMATS = (*FORMATS, "production-logs")
MAX_ERRORS_SHOWN = 20


class PromptCompletion(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str | None = Field(default=None, min_length=1)
    system: str | None = None
    prompt: str = Field(min_length=1)
    completion: str


@dataclass(frozen=True)
class Converted:
    line: int
    raw: dict[str, Any]
    record: ChatRecord
    names: list[str]  # personal names to anonymise in this record's texts


class RowProblems(Exception):
    """Problems of one row: (field path, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(problems)
        self.problems = problems


def _validate(model: type[BaseModel], row: dict[str, Any]) -> Any:
    try:
        return model.model_validate(row)
    except ValidationError as error:
        problems = [(dotted(e["loc"], "(record)"), one_line(e["msg"])) for e in error.errors(include_url=False)]
        raise RowProblems(problems) from None


def _customer_names(row: dict[str, Any]) -> list[str]:
    customer = row.get("customer")
    name = customer.get("name") if isinstance(customer, dict) else None
    return [name] if isinstance(name, str) and name.strip() else []


def _openai_chat(row: dict[str, Any], _fmt: str) -> dict[str, Any]:
    return row


def _prompt_completion(row: dict[str, Any], _fmt: str) -> dict[str, Any]:
    pair = _validate(PromptCompletion, row)
    system = [{"role": "system", "content": pair.system}] if pair.system is not None else []
    messages = [*system, {"role": "user", "content": pair.prompt}, {"role": "assistant", "content": pair.completion}]
    return {**(pair.model_extra or {}), **({"id": pair.id} if pair.id else {}), "messages": messages}


def _billing(row: dict[str, Any], fmt: str) -> dict[str, Any]:
    record = _validate(billing_records.BillRecord, row)
    problems = record.semantic_errors()
    if problems:
        raise RowProblems(problems)
    return billing_records.to_chat(record, fmt)


def _xlam(row: dict[str, Any], _fmt: str) -> dict[str, Any]:
    record, problems = xlam_records.to_chat(row)
    if problems:
        raise RowProblems(problems)
    return record


CONVERTERS: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
    "openai-chat": _openai_chat,
    "prompt-completion": _prompt_completion,
    "bill-json": _billing,
    "bill-reason": _billing,
    "xlam": _xlam,
    "xlam-tutorial": _xlam,
}
ID_FIELD = {"bill-json": "record_id", "bill-reason": "record_id"}  # other formats: "id"
# Why a format leaves a raw row out (None: kept); formats without an entry keep every row.
SELECTIONS: dict[str, Callable[[dict[str, Any]], str | None]] = {"xlam-tutorial": xlam_records.tutorial_choice}


def check_format(fmt: str) -> None:
    if fmt not in CONVERTERS:
        raise InvalidInputError(f"unknown dataset format {fmt!r}; use one of: {', '.join(FORMATS)}")


def select_rows(
    rows: list[tuple[int, dict[str, Any]]], fmt: str
) -> tuple[list[tuple[int, dict[str, Any]]], dict[str, int]]:
    """The rows the format keeps (line numbers unchanged) and how many it left out, per reason."""
    check_format(fmt)
    choose = SELECTIONS.get(fmt)
    if choose is None:
        return rows, {}
    kept: list[tuple[int, dict[str, Any]]] = []
    left_out: dict[str, int] = {}
    for line, row in rows:
        reason = choose(row)
        if reason is None:
            kept.append((line, row))
        else:
            left_out[reason] = left_out.get(reason, 0) + 1
    return kept, dict(sorted(left_out.items()))


def convert_rows(rows: list[tuple[int, dict[str, Any]]], fmt: str, source: str) -> list[Converted]:
    """Validate and convert every row; raise one InvalidInputError listing all problems."""
    check_format(fmt)
    id_field = ID_FIELD.get(fmt, "id")
    errors: list[str] = []
    converted: list[Converted] = []
    first_line: dict[str, int] = {}
    for line, row in rows:
        row_id = row.get(id_field)
        if isinstance(row_id, str) and row_id:
            if row_id in first_line:
                errors.append(f"{source}:{line}: {id_field}: duplicate {row_id!r} (first on line {first_line[row_id]})")
            else:
                first_line[row_id] = line
        try:
            record = _validate(ChatRecord, CONVERTERS[fmt](row, fmt))
        except RowProblems as problems:
            errors.extend(f"{source}:{line}: {field}: {message}" for field, message in problems.problems)
            continue
        converted.append(Converted(line, row, record, _customer_names(row)))
    if not rows:
        errors.append(f"{source}: no records; the file is empty.")
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        more = f"\n... and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
        raise InvalidInputError(
            f"{source}: {len(errors)} problem(s) in {fmt!r} records:\n"
            + "\n".join(shown)
            + more
            + "\nFix these rows and run again."
        )
    return converted


def _group(raw: dict[str, Any], group_by: str) -> str:
    node: Any = raw
    for part in group_by.split("."):
        if not isinstance(node, dict) or part not in node:
            raise ValueError("missing; dataset.group_by names a field every row must have")
        node = node[part]
    if isinstance(node, bool) or not isinstance(node, (str, int)) or node == "":
        raise ValueError(f"a group key must be a non-empty string or integer, got {node!r}")
    return str(node)


def group_keys(items: list[Converted], group_by: str, source: str) -> list[str | None]:
    """Each row's value at the dotted path `group_by` of its raw row (all None when it is empty).

    Raises one InvalidInputError naming every row whose value is missing or not a string or number.
    """
    if not group_by:
        return [None] * len(items)
    keys: list[str | None] = []
    errors: list[str] = []
    for item in items:
        try:
            keys.append(_group(item.raw, group_by))
        except ValueError as error:
            errors.append(f"{source}:{item.line}: {group_by}: {error}")
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        more = f"\n... and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
        raise InvalidInputError(f"{source}: {len(errors)} row(s) without a group key:\n" + "\n".join(shown) + more)
    return keys
