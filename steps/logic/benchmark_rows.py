"""The built-in benchmarks as prompts for a chat model and as rows a metric service can score.

Prompts, stop strings and few-shot layout are those of the local platform's lm-eval tasks
(`steps.local.lm_eval_tasks`): `Question: ...\\nAnswer:` (gsm8k, shots from its train file), SQuAD's
title/background/question, TriviaQA's `Question: ...?\\nAnswer:`. Scoring has the definitions of
`llmops score` (`steps.logic.task_scoring`): SQuAD and TriviaQA exact match and token F1 after the
official normalisations, max over the gold answers; gsm8k's strict and flexible answer extraction
compared with lm-eval's exact match.

`score_rows` turns (data row, completion) pairs into one row per gold answer (and per gsm8k extraction)
whose `candidate` and `reference` are already normalised the benchmark's way, so that a plain
`exact-match` / `f1` / `string-check equals` over them gives exactly the official per-gold values
(NeMo's own SQuAD-style normalisation of an already normalised text changes nothing).
`item_values` takes the per-row values back to one value per item (the max over its golds).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from steps.logic.benchmark_scoring import (
    GSM8K_IGNORE,
    gsm8k_extract_flexible,
    gsm8k_extract_strict,
    squad_normalize_answer,
    triviaqa_normalize,
)
from steps.logic.task_scoring import TASKS

CANDIDATE, REFERENCE = "{{item.candidate}}", "{{item.reference}}"


@dataclass(frozen=True)
class BenchmarkDefinition:
    files: tuple[str, ...]  # data file, then the few-shot file when there is one
    stop: tuple[str, ...]
    max_tokens: int
    metrics: tuple[dict[str, Any], ...]  # NeMo Evaluator metric specs over the score rows
    scores: dict[str, tuple[str, str]]  # score name -> (metric name, row variant)
    headline: str


def _text_metrics() -> tuple[dict[str, Any], ...]:
    return (
        {"name": "exact_match", "type": "exact-match", "reference": REFERENCE, "candidate": CANDIDATE},
        {"name": "f1", "type": "f1", "reference": REFERENCE, "candidate": CANDIDATE},
    )


DEFINITIONS: dict[str, BenchmarkDefinition] = {
    "gsm8k": BenchmarkDefinition(
        ("gsm8k.jsonl", "gsm8k_fewshot_train.jsonl"),
        ("Question:", "</s>", "<|im_end|>"),
        64,
        ({"name": "match", "type": "string-check", "check": [CANDIDATE, "equals", REFERENCE]},),
        {"exact_match_strict": ("match", "strict"), "exact_match_flexible": ("match", "flexible")},
        "exact_match_strict",
    ),
    "squad": BenchmarkDefinition(
        ("squad.jsonl",), ("\n",), 64, _text_metrics(), {"exact_match": ("exact_match", ""), "f1": ("f1", "")}, "f1"
    ),
    "triviaqa": BenchmarkDefinition(
        ("triviaqa.jsonl",),
        ("\n", ".", ","),
        64,
        _text_metrics(),
        {"exact_match": ("exact_match", ""), "f1": ("f1", "")},
        "exact_match",
    ),
}
assert all(tuple(d.scores) == TASKS[name].metrics for name, d in DEFINITIONS.items())  # llmops score's names


def prompt(benchmark: str, row: Mapping[str, Any], shots: Sequence[Mapping[str, Any]] = ()) -> str:
    """The prompt text of one data row (gsm8k: after its few-shot examples)."""
    if benchmark == "gsm8k":
        examples = "".join(f"Question: {s['question']}\nAnswer: {s['answer']}\n\n" for s in shots)
        return f"{examples}Question: {row['question']}\nAnswer:"
    if benchmark == "squad":
        return f"Title: {row['title']}\n\nBackground: {row['context']}\n\nQuestion: {row['question']}\n\nAnswer:"
    return f"Question: {row['question']}?\nAnswer:"


def _gsm8k_comparable(text: str) -> str:
    """What lm-eval's gsm8k exact match compares: the ignore-regexes removed, lower case."""
    for pattern in GSM8K_IGNORE:
        text = re.sub(pattern, "", text)
    return text.lower()


def score_rows(benchmark: str, data: Sequence[Mapping[str, Any]], completions: Sequence[str]) -> list[dict]:
    """One row per (item, variant, gold answer): `item_id`, `variant`, normalised `candidate` and `reference`."""
    reference_of = TASKS[benchmark].reference
    rows = []
    for row, completion in zip(data, completions, strict=True):
        item_id, gold = str(row["id"]), reference_of(dict(row))
        if benchmark == "gsm8k":
            pairs = [
                ("strict", _gsm8k_comparable(gsm8k_extract_strict(completion)), _gsm8k_comparable(gold)),
                ("flexible", _gsm8k_comparable(gsm8k_extract_flexible(completion)), _gsm8k_comparable(gold)),
            ]
        else:
            normalise = squad_normalize_answer if benchmark == "squad" else triviaqa_normalize
            answer = completion.strip()
            pairs = [("", normalise(answer), normalise(g)) for g in gold]
        for index, (variant, candidate, reference) in enumerate(pairs):
            rows.append(
                {
                    "id": f"{item_id}#{variant or 'gold'}{index}",
                    "item_id": item_id,
                    "variant": variant,
                    "candidate": candidate,
                    "reference": reference,
                }
            )
    return rows


def item_values(
    benchmark: str, rows: Sequence[Mapping[str, Any]], values: Mapping[str, Mapping[str, float]]
) -> dict[str, dict[str, float]]:
    """Score name -> item id -> value (max over the item's gold rows); `values`: metric -> row id -> value."""
    definition = DEFINITIONS[benchmark]
    out: dict[str, dict[str, float]] = {name: {} for name in definition.scores}
    for name, (metric, variant) in definition.scores.items():
        for row in rows:
            if row["variant"] != variant:
                continue
            value = values[metric][row["id"]]
            best = out[name].get(row["item_id"])
            out[name][row["item_id"]] = value if best is None else max(best, value)
    return out
