"""Deterministic generator of SYNTHETIC tool-calling queries in the xLAM layout (`dataset.format: xlam`).

Each row offers three or four tools of a fixed catalogue (`steps/data/tool_catalogue.py`): the right one(s)
and distractors, in random order. Kinds of rows:
- `single` (65 %): a templated query with argument values; the answer is one call;
- `parallel` (20 %): two such queries joined ("... Also, ..."); the answer is two calls (one tool twice, or
  two tools), in the order the query asks;
- `none` (15 %): small talk or a request no catalogue tool serves; the answer is text (`answers` is `[]`;
  small talk carries its reply in `answer_text`, other requests expect the converter's NO_CALL_TEXT).
Split `train` draws templates and argument values from the training pools, split `heldout` from the held-out
pools (`steps/data/tool_call_queries.py`): a test query never shares a phrasing or a value with training.
Every row says it is synthetic (`"synthetic": true`, ids `synthetic-tool-calls-...`).

Usage: python -m steps.data.synthetic_tool_calls --split train --rows 600 --seed 0 \\
    --out examples/tool-calling/synthetic-tool-calls-train.jsonl
"""

from __future__ import annotations

import json
import random
import string
import sys
from typing import Any

from steps.data import generator_cli
from steps.data.tool_call_queries import CONNECTORS, NO_TOOL, QUERIES, Template
from steps.data.tool_catalogue import SPLITS, TOOLS, draw_arguments
from steps.errors import InvalidInputError

MAX_ROWS = 5000
KINDS = (("single", 0.65), ("parallel", 0.2), ("none", 0.15))
TOOLS_OFFERED = (3, 4)


def _spoken(value: Any) -> str:
    """A value as a query says it: lists as "3, 8 and 10"."""
    if isinstance(value, list):
        words = [str(v) for v in value]
        return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else words[0]
    return str(value)


def _placeholders(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


def _one_call(tool: str, template: Template, split: str, rng: random.Random) -> tuple[str, dict[str, Any]]:
    text, fixed = template
    values = draw_arguments(tool, _placeholders(text), split, rng)
    query = text.format(**{name: _spoken(value) for name, value in values.items()})
    order = list(TOOLS[tool]["parameters"])
    arguments = {**values, **fixed}
    return query, {"name": tool, "arguments": {k: arguments[k] for k in sorted(arguments, key=order.index)}}


def _offered(needed: list[str], rng: random.Random) -> list[dict[str, Any]]:
    names = sorted(set(needed))
    others = [name for name in TOOLS if name not in names]
    names += rng.sample(others, rng.choice(TOOLS_OFFERED) - len(names))
    rng.shuffle(names)
    return [TOOLS[name] for name in names]


def _row(kind: str, split: str, rng: random.Random) -> dict[str, Any]:
    queries = QUERIES[split]
    if kind == "none":
        query, reply = rng.choice(NO_TOOL[split])
        return {
            "query": query,
            "tools": _offered([], rng),
            "answers": [],
            **({"answer_text": reply} if reply else {}),
        }
    first = rng.choice(sorted(queries))
    tools = [first] if kind == "single" else [first, first if rng.random() < 0.3 else rng.choice(sorted(queries))]
    parts = [_one_call(tool, rng.choice(queries[tool]), split, rng) for tool in tools]
    while len(parts) == 2 and parts[1][0] == parts[0][0]:  # the same question twice is not two calls
        parts[1] = _one_call(tools[1], rng.choice(queries[tools[1]]), split, rng)
    query = parts[0][0]
    if len(parts) == 2:
        second = parts[1][0]
        query += rng.choice(CONNECTORS[split]) + second[0].lower() + second[1:]
    return {"query": query, "tools": _offered(tools, rng), "answers": [call for _, call in parts]}


def generate_tool_calls(n: int, seed: int, split: str = "train") -> list[dict[str, Any]]:
    """`n` synthetic rows of `split` (train | heldout); the same (n, seed, split) always gives the same rows."""
    if not 1 <= n <= MAX_ROWS:
        raise InvalidInputError(f"rows must be between 1 and {MAX_ROWS}, got {n}")
    if split not in SPLITS:
        raise InvalidInputError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    rng = random.Random(f"synthetic-tool-calls-{split}-{seed}")
    rows = []
    for i in range(n):
        kind = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
        row = _row(kind, split, rng)
        rows.append(
            {
                "id": f"synthetic-tool-calls-{split}-{seed}-{i:05d}",
                "synthetic": True,
                "kind": kind,
                "query": row["query"],
                "tools": json.dumps(row["tools"], ensure_ascii=False),
                "answers": json.dumps(row["answers"], ensure_ascii=False),
                **({"answer_text": row["answer_text"]} if "answer_text" in row else {}),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    return generator_cli.run(
        argv,
        "steps.data.synthetic_tool_calls",
        "Write SYNTHETIC tool-calling queries (xLAM layout: query, tools, answers) as JSONL. "
        "Every row is invented and marked synthetic.",
        generate_tool_calls,
        600,
        splits=SPLITS,
        notice="SYNTHETIC DATA, xLAM layout",
    )


if __name__ == "__main__":
    sys.exit(main())
