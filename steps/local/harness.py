"""Regression benchmarks on the local platform: lm-evaluation-harness over local JSONL files, offline.

Task YAMLs are generated at run time (see `lm_eval_tasks`).
The model is lm-eval's `hf` model (base folder, plus `peft=` for a LoRA adapter), fp32 on the CPU.
Per-sample records go to `output_dir/samples_<benchmark>.jsonl`, the lm-eval results to
`output_dir/results_<benchmark>.json`.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path

from steps.contracts import BENCHMARKS, BenchmarkScore
from steps.errors import InvalidInputError, NotFoundError, StepFailedError
from steps.local.lm_eval_tasks import DATA_FILES, gsm8k_fewshot_that_fits, task_config, write_task_yaml

HEADLINE = {"gsm8k": "exact_match,strict-match", "squad": "f1,none", "triviaqa": "exact_match,remove_whitespace"}


def _environment() -> Path:
    from steps.settings import workspace

    cache = workspace() / "cache" / "hf-datasets"
    cache.mkdir(parents=True, exist_ok=True)
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    os.environ["HF_DATASETS_CACHE"] = str(cache)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    return cache


def _float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def run_benchmark(
    benchmark: str,
    data_dir: Path,
    base_dir: Path,
    adapter_dir: Path | None,
    limit: int | None,
    output_dir: Path,
    num_fewshot: int | None = None,
    max_gen_toks: int = 64,
    batch_size: int = 8,
) -> BenchmarkScore:
    if benchmark not in BENCHMARKS:
        raise InvalidInputError(f"unknown benchmark {benchmark!r}; choose one of: {', '.join(BENCHMARKS)}")
    data_dir = Path(data_dir).resolve()
    for filename in DATA_FILES[benchmark]:
        if not (data_dir / filename).is_file():
            raise NotFoundError(f"benchmark data file {data_dir / filename} does not exist")
    if not (Path(base_dir) / "config.json").is_file():
        raise NotFoundError(f"no base model at {base_dir} (config.json missing)")
    if adapter_dir is not None and not (Path(adapter_dir) / "adapter_config.json").is_file():
        raise NotFoundError(f"no LoRA adapter at {adapter_dir} (adapter_config.json missing)")
    cache = _environment()

    import torch
    from transformers import AutoConfig, AutoTokenizer

    from steps.settings import torch_threads

    torch.set_num_threads(torch_threads())
    if num_fewshot is None:
        if benchmark == "gsm8k":
            tokenizer = AutoTokenizer.from_pretrained(base_dir)
            max_length = AutoConfig.from_pretrained(base_dir).max_position_embeddings
            num_fewshot = gsm8k_fewshot_that_fits(tokenizer, max_length, max_gen_toks, data_dir, limit)
        else:
            num_fewshot = 0

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    include_dir = Path(tempfile.mkdtemp(prefix=f"lmeval-{benchmark}-"))
    try:
        config = task_config(benchmark, data_dir, max_gen_toks, num_fewshot, cache)
        write_task_yaml(config, include_dir)
        shutil.copy(include_dir / f"{config['task']}.yaml", output_dir / f"task_{benchmark}.yaml")
        started = time.perf_counter()
        results = _simple_evaluate(config["task"], include_dir, base_dir, adapter_dir, limit, batch_size)
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(include_dir, ignore_errors=True)
    return _score(benchmark, config["task"], results, output_dir, num_fewshot, max_gen_toks, seconds)


def _simple_evaluate(
    task: str, include_dir: Path, base_dir: Path, adapter_dir: Path | None, limit: int | None, batch_size: int
) -> dict:
    import lm_eval
    from datasets.utils.logging import disable_progress_bar as disable_datasets_progress_bar
    from lm_eval.tasks import TaskManager
    from transformers.utils import logging as hf_logging

    for name in ("lm-eval", "lm_eval"):
        logging.getLogger(name).setLevel(logging.WARNING)
    hf_logging.disable_progress_bar()
    disable_datasets_progress_bar()
    model_args = {"pretrained": str(Path(base_dir).resolve()), "dtype": "float32"}
    if adapter_dir is not None:
        model_args["peft"] = str(Path(adapter_dir).resolve())
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        results = lm_eval.simple_evaluate(
            model="hf",
            model_args=model_args,
            device="cpu",
            batch_size=batch_size,
            tasks=[task],
            task_manager=TaskManager(include_path=str(include_dir), include_defaults=False),
            limit=limit,
            log_samples=True,
            bootstrap_iters=1000,
        )
    if not results or task not in results.get("results", {}):
        raise StepFailedError(f"lm-eval returned no results for {task}")
    return results


def _score(
    benchmark: str, task: str, results: dict, output_dir: Path, num_fewshot: int, max_gen_toks: int, seconds: float
) -> BenchmarkScore:
    task_results = results["results"][task]
    metrics = {k: v for k, v in ((k, _float(v)) for k, v in task_results.items() if k != "alias") if v is not None}
    metrics.update(num_fewshot=float(num_fewshot), max_gen_toks=float(max_gen_toks), seconds=round(seconds, 3))
    headline = HEADLINE[benchmark]
    metric_name, _, filter_name = headline.partition(",")
    n_samples = results.get("n-samples", {}).get(task, {})
    samples = results.get("samples", {}).get(task, [])
    samples_file = output_dir / f"samples_{benchmark}.jsonl"
    with samples_file.open("w", encoding="utf-8") as handle:
        for record in samples:
            handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    summary = {
        key: results.get(key)
        for key in (
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
    }
    (output_dir / f"results_{benchmark}.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    return BenchmarkScore(
        benchmark=benchmark,
        metric=headline,
        score=float(task_results[headline]),
        stderr=_float(task_results.get(f"{metric_name}_stderr,{filter_name}")),
        n=int(n_samples.get("effective", len(samples))),
        metrics=metrics,
        samples_file=str(samples_file),
    )
