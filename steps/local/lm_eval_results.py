"""An lm-evaluation-harness result as a `BenchmarkScore`: headline, n, stderr and per-item values.

lm-eval reports each metric as `<metric>,<filter>` with its standard error as `<metric>_stderr,<filter>`.
The headline of a built-in benchmark is fixed (`HEADLINE`); that of any other task is the first metric
lm-eval reports for it (the first entry of its `metric_list`, or of its output type's default metrics,
e.g. `acc,none` for a multiple-choice task). Every metric lm-eval reports is kept in `metrics`.

Per-item values come from lm-eval's logged samples (one record per document and filter): the
headline metric's value for each document of the headline's filter, keyed by the document's `id`
field when every document has a distinct one, else by lm-eval's `doc_id`; for a group, the documents
of its tasks, keyed `<task>/<id>`. They are kept only when their mean is the reported score (a
metric that lm-eval does not aggregate as a mean, e.g. a corpus BLEU, has no per-item values).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from steps.contracts import BenchmarkScore
from steps.errors import StepFailedError
from steps.logic.item_scores import ItemValue, aggregate

HEADLINE = {"gsm8k": "exact_match,strict-match", "squad": "f1,none", "triviaqa": "exact_match,remove_whitespace"}
SUMMARY_KEYS = (
    "results",
    "configs",
    "versions",
    "n-shot",
    "n-samples",
    "higher_is_better",
    "config",
    "lm_eval_version",
    "transformers_version",
    "total_evaluation_time_seconds",
)


def number(value: Any) -> float | None:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def headline(benchmark: str, task_results: dict[str, Any]) -> str:
    """The headline metric: fixed for a built-in benchmark, else the first one lm-eval reports."""
    if benchmark in HEADLINE:
        return HEADLINE[benchmark]
    for key, value in task_results.items():
        metric, _, filter_name = key.partition(",")
        if filter_name and not metric.endswith("_stderr") and number(value) is not None:
            return key
    raise StepFailedError(f"lm-eval reported no metric for {benchmark}: {sorted(task_results)}")


def _leaves(task: str, results: dict[str, Any]) -> list[str]:
    """The tasks whose samples make up `task`: itself, or a group's tasks (nested groups expanded)."""
    children = results.get("group_subtasks", {}).get(task)
    if not children:
        return [task]
    return [leaf for child in children for leaf in _leaves(child, results)]


def _task_items(samples: list[dict[str, Any]], metric: str, filter_name: str) -> list[tuple[str, float]] | None:
    records = [s for s in samples if s.get("filter", "none") == filter_name]
    ids = [str(r["doc"]["id"]) if isinstance(r.get("doc"), dict) and "id" in r["doc"] else None for r in records]
    if None in ids or len(set(ids)) != len(ids):
        ids = [str(r["doc_id"]) for r in records]
    values = [number(r.get(metric)) for r in records]
    if any(v is None for v in values):
        return None
    return [(str(i), float(v)) for i, v in zip(ids, values, strict=True) if v is not None]


def item_values(task: str, results: dict[str, Any], metric_key: str, score: float) -> list[ItemValue] | None:
    """Per-document values of the headline metric whose mean is the score; None when there are none."""
    metric, _, filter_name = metric_key.partition(",")
    leaves = _leaves(task, results)
    items: list[ItemValue] = []
    for leaf in leaves:
        found = _task_items(results.get("samples", {}).get(leaf, []), metric, filter_name)
        if not found:
            return None
        prefix = f"{leaf}/" if leaf != task else ""
        items += [ItemValue(id=prefix + item_id, value=value) for item_id, value in found]
    if not items or not math.isclose(aggregate(items), score, rel_tol=1e-9, abs_tol=1e-12):
        return None
    return items


def _count(task: str, results: dict[str, Any]) -> int:
    """Documents scored: lm-eval's effective n-samples, summed over a group's tasks."""
    n_samples = results.get("n-samples", {})
    total = 0
    for leaf in _leaves(task, results):
        counts = n_samples.get(leaf, {})
        records = {s.get("doc_id") for s in results.get("samples", {}).get(leaf, [])}
        total += int(counts.get("effective", len(records)))
    return total


def write_outputs(benchmark: str, task: str, results: dict[str, Any], output_dir: Path) -> Path:
    """Samples as `samples_<benchmark>.jsonl` (every task of a group), the rest as `results_<benchmark>.json`."""
    samples_file = output_dir / f"samples_{benchmark}.jsonl"
    with samples_file.open("w", encoding="utf-8") as handle:
        for leaf in _leaves(task, results):
            for record in results.get("samples", {}).get(leaf, []):
                handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    summary = {key: results.get(key) for key in SUMMARY_KEYS}
    (output_dir / f"results_{benchmark}.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    return samples_file


def score(
    benchmark: str, task: str, results: dict[str, Any], output_dir: Path, extra: dict[str, float]
) -> BenchmarkScore:
    """The benchmark's score from lm-eval's results for `task` (the lm-eval name it ran under)."""
    task_results = results["results"][task]
    metrics = {k: v for k, v in ((k, number(v)) for k, v in task_results.items() if k != "alias") if v is not None}
    metrics.update(extra)
    key = headline(benchmark, task_results)
    metric, _, filter_name = key.partition(",")
    value = float(task_results[key])
    return BenchmarkScore(
        benchmark=benchmark,
        metric=key,
        score=value,
        stderr=number(task_results.get(f"{metric}_stderr,{filter_name}")),
        n=_count(task, results),
        metrics=metrics,
        samples_file=str(write_outputs(benchmark, task, results, output_dir)),
        items=item_values(task, results, key, value),
    )
