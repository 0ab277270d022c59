"""The billing example's chat rows (training set and held-out prompts), as the pipeline converts them."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "bill-explainer"


def chat_rows(file: str = "bills.jsonl", fmt: str = "bill-reason") -> list[dict]:
    from steps.logic.dataset_formats import convert_rows

    path = EXAMPLE / file
    raw = [(n, json.loads(line)) for n, line in enumerate(path.read_text().splitlines(), 1) if line.strip()]
    return [c.record.model_dump(exclude_none=True) for c in convert_rows(raw, fmt, str(path))]


def prompts(file: str = "heldout.jsonl") -> list[list[dict]]:
    """The held-out conversations up to (not including) the expected answer."""
    return [[m for m in row["messages"] if m["role"] != "assistant"] for row in chat_rows(file)]
