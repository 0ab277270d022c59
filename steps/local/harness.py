"""Regression benchmarks on the local platform: lm-evaluation-harness over local JSONL files, offline.

Task YAMLs are generated at run time (absolute `data_files`) with the prompts, filters and metrics of
lm-eval's own `gsm8k`, `squadv2` (own SQuAD v1.1 scorer, see `benchmark_metrics`) and `triviaqa` tasks.
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

import yaml

from steps.contracts import BENCHMARKS, BenchmarkScore
from steps.errors import InvalidInputError, NotFoundError, StepFailedError

HEADLINE = {"gsm8k": "exact_match,strict-match", "squad": "f1,none", "triviaqa": "exact_match,remove_whitespace"}
DATA_FILES = {
    "gsm8k": ("gsm8k.jsonl", "gsm8k_fewshot_train.jsonl"),
    "squad": ("squad.jsonl",),
    "triviaqa": ("triviaqa.jsonl",),
}
GSM8K_MAX_FEWSHOT = 5  # lm-eval's default for gsm8k
FEWSHOT_DELIMITER_MARGIN = 8  # tokens per shot kept free for delimiters / tokenization differences


def _gen_kwargs(until: list[str], max_gen_toks: int) -> dict:
    return {"until": until, "do_sample": False, "temperature": 0.0, "max_gen_toks": max_gen_toks}


def task_config(benchmark: str, data_dir: Path, max_gen_toks: int, num_fewshot: int, cache_dir: Path) -> dict:
    """The lm-eval task config (as a dict) for one benchmark over the files in `data_dir`."""
    data_dir = Path(data_dir).resolve()
    name = f"llmops_{benchmark}"
    if benchmark == "gsm8k":
        return {
            "task": name,
            "dataset_path": "json",
            "dataset_kwargs": {
                "data_files": {
                    "train": str(data_dir / "gsm8k_fewshot_train.jsonl"),
                    "test": str(data_dir / "gsm8k.jsonl"),
                },
                "cache_dir": str(cache_dir),
            },
            "output_type": "generate_until",
            "training_split": "train",
            "fewshot_split": "train",
            "test_split": "test",
            "doc_to_text": "Question: {{question}}\nAnswer:",
            "doc_to_target": "{{answer}}",
            "metric_list": [
                {
                    "metric": "exact_match",
                    "aggregation": "mean",
                    "higher_is_better": True,
                    "ignore_case": True,
                    "ignore_punctuation": False,
                    "regexes_to_ignore": [",", "\\$", "(?s).*#### ", "\\.$"],
                }
            ],
            "generation_kwargs": _gen_kwargs(["Question:", "</s>", "<|im_end|>"], max_gen_toks),
            "repeats": 1,
            "num_fewshot": num_fewshot,
            "filter_list": [
                {
                    "name": "strict-match",
                    "filter": [
                        {"function": "regex", "regex_pattern": "#### (\\-?[0-9\\.\\,]+)"},
                        {"function": "take_first"},
                    ],
                },
                {
                    "name": "flexible-extract",
                    "filter": [
                        {"function": "regex", "group_select": -1, "regex_pattern": "(-?[$0-9.,]{2,})|(-?[0-9]+)"},
                        {"function": "take_first"},
                    ],
                },
            ],
            "metadata": {"version": 3.0},
        }
    if benchmark == "squad":
        config = {
            "task": name,
            "dataset_path": "json",
            "dataset_kwargs": {
                "data_files": {"validation": str(data_dir / "squad.jsonl")},
                "cache_dir": str(cache_dir),
            },
            "output_type": "generate_until",
            "validation_split": "validation",
            "doc_to_text": "Title: {{title}}\n\nBackground: {{context}}\n\nQuestion: {{question}}\n\nAnswer:",
            "doc_to_target": "{{answers.text[0]}}",
            "generation_kwargs": _gen_kwargs(["\n"], max_gen_toks),
            "metric_list": [
                {"metric": "exact", "aggregation": "mean", "higher_is_better": True},
                {"metric": "f1", "aggregation": "mean", "higher_is_better": True},
            ],
            "num_fewshot": num_fewshot,
            "metadata": {"version": 1.0},
        }
    elif benchmark == "triviaqa":
        config = {
            "task": name,
            "dataset_path": "json",
            "dataset_kwargs": {
                "data_files": {"validation": str(data_dir / "triviaqa.jsonl")},
                "cache_dir": str(cache_dir),
            },
            "output_type": "generate_until",
            "validation_split": "validation",
            "doc_to_text": "Question: {{question}}?\nAnswer:",
            "doc_to_target": "{{answer.aliases}}",
            "generation_kwargs": _gen_kwargs(["\n", ".", ","], max_gen_toks),
            "filter_list": [
                {"name": "remove_whitespace", "filter": [{"function": "remove_whitespace"}, {"function": "take_first"}]}
            ],
            "target_delimiter": " ",
            "metric_list": [
                {
                    "metric": "exact_match",
                    "aggregation": "mean",
                    "higher_is_better": True,
                    "ignore_case": True,
                    "ignore_punctuation": True,
                }
            ],
            "num_fewshot": num_fewshot,
            "metadata": {"version": 3.0},
        }
    else:
        raise InvalidInputError(f"unknown benchmark {benchmark!r}; choose one of: {', '.join(BENCHMARKS)}")
    if num_fewshot:
        config["fewshot_split"] = "validation"  # no train split: shots come from the other eval docs
    return config


def write_task_yaml(config: dict, folder: Path) -> Path:
    """Write a task config as YAML; SQuAD's scorer is referenced with lm-eval's `!function` tag."""
    path = Path(folder) / f"{config['task']}.yaml"
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    if config["task"] == "llmops_squad":
        text += "process_results: !function steps.local.benchmark_metrics.squad_process_results\n"
    path.write_text(text, encoding="utf-8")
    return path


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def gsm8k_fewshot_that_fits(
    tokenizer, max_length: int, max_gen_toks: int, data_dir: Path, limit: int | None, wanted: int = GSM8K_MAX_FEWSHOT
) -> int:
    """Largest k <= wanted such that the k longest shots + the longest question fit the context."""
    shots = _read_jsonl(Path(data_dir) / "gsm8k_fewshot_train.jsonl")
    docs = _read_jsonl(Path(data_dir) / "gsm8k.jsonl")[: limit or None]

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    shot_lengths = sorted(
        (count(f"Question: {d['question']}\nAnswer: {d['answer']}\n\n") + FEWSHOT_DELIMITER_MARGIN for d in shots),
        reverse=True,
    )
    question = max((count(f"Question: {d['question']}\nAnswer:") for d in docs), default=0)
    budget = max_length - max_gen_toks - question
    k = 0
    while k < min(wanted, len(shot_lengths)) and sum(shot_lengths[: k + 1]) <= budget:
        k += 1
    return k


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
