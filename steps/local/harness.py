"""Regression benchmarks on the local platform: lm-evaluation-harness, offline.

- A built-in benchmark (gsm8k, squad, triviaqa) runs the project's task config (`lm_eval_tasks`,
  written as a task YAML at run time) over the JSONL files of `data_dir`.
- Any other name runs lm-eval's own task (or group) of that name; `data_dir` is then the Hugging Face
  datasets cache its data sets are read from, offline. A data set missing there is an error that
  says how to fill the cache.

The model is lm-eval's `hf` model (base folder, plus `peft=` for a LoRA adapter), fp32 on the CPU.
Per-sample records go to `output_dir/samples_<benchmark>.jsonl`, the lm-eval results to
`output_dir/results_<benchmark>.json`; the score, its per-item values included, is built from them
by `lm_eval_results`.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from steps.contracts import BENCHMARKS, BenchmarkScore
from steps.errors import InvalidInputError, NotFoundError, StepFailedError
from steps.local import lm_eval_results
from steps.local.lm_eval_tasks import DATA_FILES, gsm8k_fewshot_that_fits, task_config, write_task_yaml

HEADLINE = lm_eval_results.HEADLINE


def _environment() -> Path:
    from steps.settings import workspace

    cache = workspace() / "cache" / "hf-datasets"
    cache.mkdir(parents=True, exist_ok=True)
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    os.environ["HF_DATASETS_CACHE"] = str(cache)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    return cache


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
    data_dir = Path(data_dir).resolve()
    for filename in DATA_FILES.get(benchmark, ()):
        if not (data_dir / filename).is_file():
            raise NotFoundError(f"benchmark data file {data_dir / filename} does not exist")
    if not (Path(base_dir) / "config.json").is_file():
        raise NotFoundError(f"no base model at {base_dir} (config.json missing)")
    if adapter_dir is not None and not (Path(adapter_dir) / "adapter_config.json").is_file():
        raise NotFoundError(f"no LoRA adapter at {adapter_dir} (adapter_config.json missing)")
    cache = _environment()

    import torch
    from lm_eval.tasks import TaskManager
    from transformers import AutoConfig, AutoTokenizer

    from steps.settings import torch_threads

    torch.set_num_threads(torch_threads())
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    if benchmark not in BENCHMARKS:
        return _run_lm_eval_task(benchmark, data_dir, base_dir, adapter_dir, limit, output_dir, num_fewshot, batch_size)
    if num_fewshot is None:
        if benchmark == "gsm8k":
            tokenizer = AutoTokenizer.from_pretrained(base_dir)
            max_length = AutoConfig.from_pretrained(base_dir).max_position_embeddings
            num_fewshot = gsm8k_fewshot_that_fits(tokenizer, max_length, max_gen_toks, data_dir, limit)
        else:
            num_fewshot = 0
    include_dir = Path(tempfile.mkdtemp(prefix=f"lmeval-{benchmark}-"))
    try:
        config = task_config(benchmark, data_dir, max_gen_toks, num_fewshot, cache)
        write_task_yaml(config, include_dir)
        shutil.copy(include_dir / f"{config['task']}.yaml", output_dir / f"task_{benchmark}.yaml")
        started = time.perf_counter()
        manager = TaskManager(include_path=str(include_dir), include_defaults=False)
        results = _simple_evaluate(config["task"], manager, base_dir, adapter_dir, limit, batch_size)
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(include_dir, ignore_errors=True)
    extra = {"num_fewshot": float(num_fewshot), "max_gen_toks": float(max_gen_toks), "seconds": round(seconds, 3)}
    return lm_eval_results.score(benchmark, config["task"], results, output_dir, extra)


@contextmanager
def _datasets_cache(folder: Path) -> Iterator[None]:
    """Hugging Face datasets read (offline) from `folder` while the block runs."""
    import datasets.config

    before_env, before = os.environ.get("HF_DATASETS_CACHE"), datasets.config.HF_DATASETS_CACHE
    os.environ["HF_DATASETS_CACHE"], datasets.config.HF_DATASETS_CACHE = str(folder), folder
    try:
        yield
    finally:
        datasets.config.HF_DATASETS_CACHE = before
        if before_env is None:
            os.environ.pop("HF_DATASETS_CACHE", None)
        else:
            os.environ["HF_DATASETS_CACHE"] = before_env


def _not_cached(task: str, folder: Path, exc: Exception) -> NotFoundError:
    fill = (
        f'HF_DATASETS_CACHE={folder} python -c "from lm_eval.tasks import TaskManager, get_task_dict; '
        f"get_task_dict(['{task}'], TaskManager())\""
    )
    return NotFoundError(
        f"the data of lm-evaluation-harness task {task!r} is not in the Hugging Face datasets cache {folder} "
        f"(runs are offline): {exc}. Fill the cache on a machine with network access: `{fill}`, then copy "
        f"it to {folder} (benchmarks.data names that folder under <workspace>/benchmarks)"
    )


def _run_lm_eval_task(
    task: str,
    data_dir: Path,
    base_dir: Path,
    adapter_dir: Path | None,
    limit: int | None,
    output_dir: Path,
    num_fewshot: int | None,
    batch_size: int,
) -> BenchmarkScore:
    """lm-eval's own task `task`, its data sets read offline from the datasets cache `data_dir`."""
    from datasets.exceptions import DatasetNotFoundError

    from steps.benchmark_names import problem, task_manager

    manager = task_manager()
    if task not in manager.all_subtasks and task not in manager.all_groups:
        raise InvalidInputError(problem(task, str(data_dir)) or f"{task!r} is not an lm-evaluation-harness task")
    started = time.perf_counter()
    with _datasets_cache(data_dir):
        try:
            results = _simple_evaluate(task, manager, base_dir, adapter_dir, limit, batch_size, num_fewshot)
        except (ConnectionError, DatasetNotFoundError, FileNotFoundError) as exc:
            raise _not_cached(task, data_dir, exc) from None
        except ValueError as exc:  # datasets: "Couldn't find cache for <path> for config '<name>'"
            if "find cache" not in str(exc):
                raise
            raise _not_cached(task, data_dir, exc) from None
    extra = {"seconds": round(time.perf_counter() - started, 3)}
    n_shot = results.get("n-shot", {}).get(task)
    if isinstance(n_shot, int):
        extra["num_fewshot"] = float(n_shot)
    return lm_eval_results.score(task, task, results, output_dir, extra)


def _simple_evaluate(
    task: str,
    manager: Any,
    base_dir: Path,
    adapter_dir: Path | None,
    limit: int | None,
    batch_size: int,
    num_fewshot: int | None = None,
) -> dict:
    import lm_eval
    from datasets.utils.logging import disable_progress_bar as disable_datasets_progress_bar
    from transformers.utils import logging as hf_logging

    for name in ("lm-eval", "lm_eval"):
        logging.getLogger(name).setLevel(logging.WARNING)
    hf_logging.disable_progress_bar()
    disable_datasets_progress_bar()
    model_args = {"pretrained": str(Path(base_dir).resolve()), "dtype": "float32"}
    if adapter_dir is not None:
        model_args["peft"] = str(Path(adapter_dir).resolve())
    from steps.local.lm_eval_progress import reported

    with warnings.catch_warnings(), reported():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        results = lm_eval.simple_evaluate(
            model="hf",
            model_args=model_args,
            device="cpu",
            batch_size=batch_size,
            tasks=[task],
            task_manager=manager,
            num_fewshot=num_fewshot,
            limit=limit,
            log_samples=True,
            bootstrap_iters=1000,
        )
    if not results or task not in results.get("results", {}):
        raise StepFailedError(f"lm-eval returned no results for {task}")
    return results
