"""lm-eval task configs for the local benchmark files, written as task YAMLs at run time.

The prompts, filters and metrics are those of lm-eval's own `gsm8k`, `squadv2` (own SQuAD v1.1 scorer, see
`steps.logic.benchmark_scoring`) and `triviaqa` tasks; `data_files` are absolute paths into the smoke-set folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from steps.contracts import BENCHMARKS
from steps.errors import InvalidInputError

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
        text += "process_results: !function steps.logic.benchmark_scoring.squad_process_results\n"
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
