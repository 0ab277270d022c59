"""The benchmarks as metric-service rows give exactly `llmops score`'s per-item values (scored here by the
project's own engine, which implements the same metric types as NeMo's Evaluator)."""

from __future__ import annotations

import pytest

from steps.logic import metrics as engine
from steps.logic.benchmark_rows import DEFINITIONS, item_values, prompt, score_rows
from steps.logic.task_scoring import score_task


def _answers(benchmark: str, rows: list[dict]) -> list[str]:
    golds = {
        "gsm8k": lambda r: r["answer"],
        "squad": lambda r: f"  {r['answers']['text'][-1].upper()}!",
        "triviaqa": lambda r: r["answer"]["aliases"][-1].replace(" ", "-"),
    }[benchmark]
    return [golds(r) if i % 3 else f"no idea, maybe {i}" for i, r in enumerate(rows)]


@pytest.mark.parametrize("benchmark", sorted(DEFINITIONS))
def test_rows_scored_by_the_metric_types_agree_with_llmops_score(benchmark, tmp_path, monkeypatch):
    monkeypatch.setenv("LLMOPS_WORKSPACE", str(tmp_path))
    from steps.data.smoke_benchmarks import ensure_smoke_sets
    from steps.logic.records import read_jsonl

    data = [row for _, row in read_jsonl(ensure_smoke_sets() / DEFINITIONS[benchmark].files[0])][:12]
    completions = _answers(benchmark, data)
    rows = score_rows(benchmark, data, completions)
    specs = engine.parse_metric_specs(list(DEFINITIONS[benchmark].metrics))
    result = engine.evaluate(specs, rows, [{"output_text": r["candidate"]} for r in rows]).scores
    values = {s.name: {i.id: i.value for i in result[f"{s.name}.{s.scores()[0]}"].items} for s in specs}
    per_item = item_values(benchmark, rows, values)
    answered = zip(data, completions, strict=True)
    predictions = [(i, {"id": r["id"], "prediction": c}) for i, (r, c) in enumerate(answered, 1)]
    expected = score_task(benchmark, list(enumerate(data, 1)), "data", predictions, "predictions")
    for name, items in expected.items.items():
        assert per_item[name] == {i.id: i.value for i in items}, name
    assert 0 < sum(per_item[DEFINITIONS[benchmark].headline].values()) < len(data)
    assert prompt(benchmark, data[0]).endswith("Answer:")
