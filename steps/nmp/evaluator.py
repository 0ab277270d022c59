"""The evaluator port on NeMo Platform: the built-in benchmarks as Evaluator v2 metric jobs.

`run_benchmark` generates the answers through the inference port (the gateway's OpenAI route), turns them
into score rows with the definitions of `llmops score` (`steps.logic.benchmark_rows`: official
normalisations, max over gold answers, gsm8k's strict and flexible extraction), scores them with an
offline Evaluator job over a fileset (`eval_jobs.score_with_evaluator`: content-addressed, never created
twice, followed to the end) and reads the per-row values back into a BenchmarkScore with per-item values.

Benchmark data: 'smoke' (the project's synthetic sets) or a folder `<workspace>/benchmarks/<name>` with
the same JSONL files. Few-shot: gsm8k takes its shots from its train file (default 5, lm-eval's); SQuAD
and TriviaQA run zero-shot. The Platform ships no SQuAD or TriviaQA data, and 0.3.0 installs seed no gsm8k
either, so lm-evaluation-harness tasks beyond the three built-in ones are refused here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from steps.benchmark_names import SMOKE
from steps.contracts import BENCHMARKS, BenchmarkScore, Inference
from steps.errors import NotFoundError, PlatformNotAvailableError, StepFailedError
from steps.logic.benchmark_rows import DEFINITIONS, item_values, prompt, score_rows
from steps.logic.item_scores import ItemValue, aggregate, stderr
from steps.logic.metrics import parse_metric_specs
from steps.logic.records import read_jsonl
from steps.nmp.client import platform_client
from steps.nmp.eval_jobs import score_with_evaluator

GSM8K_DEFAULT_FEWSHOT = 5  # lm-eval's


def data_dir(data: str) -> Path:
    """The folder holding the benchmark's JSONL files."""
    if data == SMOKE:
        from steps.data.smoke_benchmarks import ensure_smoke_sets

        return ensure_smoke_sets()
    from steps.settings import workspace

    path = workspace() / "benchmarks" / data
    if not path.is_dir():
        raise NotFoundError(f"benchmark data {data!r}: no folder {path}; use 'smoke' or put the JSONL files there")
    return path


class NmpEvaluator:
    def __init__(self, inference: Inference, client: Any = None) -> None:
        self.inference = inference
        self.client = client or platform_client()

    def run_benchmark(
        self,
        benchmark: str,
        data: str,
        base_model: str,
        adapter_id: str,
        limit: int | None,
        output_dir: Path,
        num_fewshot: int | None = None,
    ) -> BenchmarkScore:
        if benchmark not in BENCHMARKS:
            raise PlatformNotAvailableError(
                f"benchmark {benchmark!r}: on nemo-platform only {', '.join(BENCHMARKS)} run (as Evaluator metric "
                "jobs); an lm-evaluation-harness task runs on the local platform or on nemo (v1)"
            )
        definition = DEFINITIONS[benchmark]
        folder = data_dir(data)
        rows = [row for _, row in read_jsonl(folder / definition.files[0])][: limit or None]
        wanted = (GSM8K_DEFAULT_FEWSHOT if num_fewshot is None else num_fewshot) if benchmark == "gsm8k" else 0
        shots = [row for _, row in read_jsonl(folder / definition.files[1])][:wanted] if wanted else []
        model = self.inference.chat_model(base_model, adapter_id)
        replies = model.create_batch(
            [[{"role": "user", "content": prompt(benchmark, row, shots)}] for row in rows],
            max_tokens=definition.max_tokens,
            temperature=0.0,
            stop=list(definition.stop),
        )
        completions = [str(r["choices"][0]["message"].get("content") or "") for r in replies]
        scored = score_rows(benchmark, rows, completions)
        specs = parse_metric_specs(list(definition.metrics), f"benchmark {benchmark}")
        results = score_with_evaluator(self.client, specs, [{**r, "output": r["candidate"]} for r in scored])
        failed = {name: r.failures for name, r in results.items() if r.failures}
        if failed:
            raise StepFailedError(f"{benchmark}: the Evaluator could not score some rows: {failed}")
        values = {
            spec.name: {i.id: i.value for i in results[f"{spec.name}.{spec.scores()[0]}"].items} for spec in specs
        }
        per_item = item_values(benchmark, scored, values)
        scores = {name: [ItemValue(id=k, value=v) for k, v in by_item.items()] for name, by_item in per_item.items()}
        headline = scores[definition.headline]
        output_dir = Path(output_dir)
        output_dir.mkdir(parents=True, exist_ok=True)
        samples = output_dir / f"samples_{benchmark}.jsonl"
        with samples.open("w", encoding="utf-8") as handle:
            for row, completion in zip(rows, completions, strict=True):
                item = {name: per_item[name][str(row["id"])] for name in per_item}
                handle.write(json.dumps({"id": str(row["id"]), "completion": completion, **item}) + "\n")
        return BenchmarkScore(
            benchmark=benchmark,
            metric=definition.headline,
            score=aggregate(headline),
            stderr=stderr(headline),
            n=len(headline),
            metrics={
                **{name: aggregate(items) for name, items in scores.items()},
                "num_fewshot": float(len(shots)),
                "max_gen_toks": float(definition.max_tokens),
            },
            samples_file=str(samples),
            items=headline,
        )
