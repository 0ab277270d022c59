"""Build a local base model from its recipe: `llmops model build`.

Tokenizer trained on the recipe's tokenizer corpus (`steps.basemodel.tokenizer_training`), a small
`LlamaForCausalLM` initialised with `torch.manual_seed(seed)`, pre-trained on the project's own corpus
(`steps.basemodel.pretraining`), saved as a Hugging Face folder with `recipe.json` (the recipe, its
hash, the build time and, with the smoke evaluation, the smoke-benchmark scores).

Pre-training takes minutes on a laptop CPU, so the result is written once into
`steps/local/weights/<slug>/` and committed; serving copies it from there (`steps.local.base_model`).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from steps.atomic_folder import atomic_folder
from steps.basemodel.pretraining import PretrainSpec, pretrain
from steps.basemodel.recipe import identity
from steps.basemodel.tokenizer_training import train_tokenizer
from steps.local.base_model import committed_model_dir
from steps.local.chat_format import ENDOFTEXT, IM_END, PAD
from steps.local.seeding import seeded_torch


def default_output(name: str) -> Path:
    """Where `llmops model build` writes a recipe's model: its committed weights folder (package data)."""
    return committed_model_dir(name)


def build_base_model(
    name: str, seed: int, out: Path, evaluate: bool = True, log: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Build the recipe from scratch into `out` (replacing it) and return what `recipe.json` records.

    With `evaluate`, the smoke benchmarks (first `SMOKE_ROWS` rows each) are run on the result and
    their scores recorded, so the committed weights carry the numbers they were accepted on.
    """
    recipe, corpus, digest = identity(name, seed)
    log = log or _log

    def produce(tmp: Path) -> None:
        info = _build(name, recipe, seed, corpus, digest, tmp, log)
        if evaluate:
            info["benchmarks"] = _smoke_scores(tmp, log)
            _write_info(tmp, info)

    atomic_folder(Path(out), produce, complete=lambda folder: (folder / "config.json").is_file(), replace=True)
    return json.loads((Path(out) / "recipe.json").read_text(encoding="utf-8"))


def init_model(recipe: dict[str, Any], tokenizer: Any, seed: int) -> Any:
    """The recipe's `LlamaForCausalLM`, randomly initialised from `seed`, greedy by default."""
    from transformers import LlamaConfig, LlamaForCausalLM

    spec = {k: v for k, v in recipe["model"].items() if k not in ("architecture", "rope_theta")}
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.convert_tokens_to_ids(ENDOFTEXT),
        eos_token_id=tokenizer.convert_tokens_to_ids(IM_END),
        pad_token_id=tokenizer.convert_tokens_to_ids(PAD),
        rope_parameters={"rope_type": "default", "rope_theta": recipe["model"]["rope_theta"]},
        **spec,
    )
    with seeded_torch(seed):
        model = LlamaForCausalLM(config)
    model.generation_config.eos_token_id = [config.eos_token_id, config.bos_token_id]
    model.generation_config.pad_token_id = config.pad_token_id
    model.generation_config.do_sample = False
    return model


def _smoke_scores(model_dir: Path, log: Callable[[str], None]) -> dict[str, dict[str, Any]]:
    from steps.data.smoke_benchmarks import DEFAULT_SEED, SMOKE_ROWS, write_smoke_sets
    from steps.local.harness import run_benchmark

    scores = {}
    with tempfile.TemporaryDirectory(prefix="llmops-smoke-") as tmp:
        data = Path(tmp) / "data"
        write_smoke_sets(data, seed=DEFAULT_SEED, n=SMOKE_ROWS)
        for benchmark in ("gsm8k", "squad", "triviaqa"):
            result = run_benchmark(benchmark, data, model_dir, None, SMOKE_ROWS, Path(tmp) / benchmark)
            scores[benchmark] = {
                "metric": result.metric,
                "score": round(result.score, 4),
                "n": result.n,
                "smoke_seed": DEFAULT_SEED,
            }
            log(f"smoke benchmark {benchmark}: {result.metric} = {result.score:.3f} (n={result.n})")
    return scores


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _write_info(out: Path, info: dict[str, Any]) -> None:
    (out / "recipe.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _build(
    name: str, recipe: dict[str, Any], seed: int, corpus: list[str], digest: str, out: Path, log: Callable[[str], None]
) -> dict[str, Any]:
    import torch

    from steps.settings import torch_threads

    torch.set_num_threads(torch_threads())
    started = time.perf_counter()
    tokenizer = train_tokenizer(recipe, corpus)
    model = init_model(recipe, tokenizer, seed)
    pretrained = pretrain(model, tokenizer, PretrainSpec(**recipe["pretrain"]), log=log)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    info = {
        "name": name,
        "seed": seed,
        "recipe_hash": digest,
        "recipe": recipe,
        "pretrain": pretrained,
        "parameters": sum(p.numel() for p in model.parameters()),
        "vocab_size": len(tokenizer),
        "corpus_docs": len(corpus),
        "build_seconds": round(time.perf_counter() - started, 1),
        "torch_version": torch.__version__,
    }
    _write_info(out, info)
    return info
