"""The project's own small base model, built locally with no download.

`ensure_base_model("llmops/tiny-llama")` returns a Hugging Face model folder (config.json,
model.safetensors, tokenizer.json, tokenizer_config.json, chat_template.jinja, recipe.json) that
`AutoModelForCausalLM.from_pretrained` / `AutoTokenizer.from_pretrained` load offline.

Recipe: a byte-level BPE tokenizer (digits split in chunks of 1-2, punctuation and whitespace
isolated, so ids, dates and amounts tokenize the same way everywhere) trained on a deterministic
project-generated corpus (`steps.local.tiny_corpus`), ChatML special tokens and chat template, and a
small `LlamaForCausalLM` initialised with `torch.manual_seed(seed)`. The folder name carries 12 hex
of the hash of the recipe, the seed and the corpus, so any change gives a new folder.

The model is randomly initialised for now (`pretrain_steps: 0`); `_pretrain` is the place for a
pre-training stage.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from steps.errors import NotFoundError, StepFailedError

ENDOFTEXT, IM_START, IM_END, PAD = "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|pad|>"
SPECIAL_TOKENS = [ENDOFTEXT, IM_START, IM_END, PAD]

# ChatML. Prefix-stable: rendering messages[:i] is a prefix of rendering messages[:i+1].
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

# Words (optionally with one leading space), digits in chunks of 1-2, single whitespace or punctuation.
PRE_TOKENIZER_REGEX = r" ?[^\W\d_]+|\d{1,2}|\s|[^\w\s]|_"

RECIPES: dict[str, dict[str, Any]] = {
    "llmops/tiny-llama": {
        "format_version": 1,
        "tokenizer": {
            "type": "byte-level-bpe",
            "pre_tokenizer_regex": PRE_TOKENIZER_REGEX,
            "vocab_size": 4096,
            "min_frequency": 2,
            "special_tokens": SPECIAL_TOKENS,
            "corpus_docs": 6000,
            "chat_template": CHAT_TEMPLATE,
        },
        "model": {
            "architecture": "LlamaForCausalLM",
            "hidden_size": 192,
            "intermediate_size": 512,
            "num_hidden_layers": 4,
            "num_attention_heads": 6,
            "num_key_value_heads": 6,
            "max_position_embeddings": 2048,
            "rope_theta": 10000.0,
            "rms_norm_eps": 1e-5,
            "initializer_range": 0.02,
            "tie_word_embeddings": False,
        },
        "pretrain_steps": 0,
    },
}


_SEED_LOCK = threading.Lock()


@contextmanager
def seeded_torch(seed: int) -> Iterator[None]:
    """Seed torch's global RNG for a block, with the caller's RNG state restored afterwards.

    Serialised within the process, so concurrent builds in threads draw the same numbers.
    """
    import torch

    with _SEED_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def known_models() -> list[str]:
    return sorted(RECIPES)


def _recipe(name: str) -> dict[str, Any]:
    if name not in RECIPES:
        raise NotFoundError(
            f"the local platform cannot build base model {name!r}; it can build: {', '.join(known_models())}"
        )
    return RECIPES[name]


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")


def _corpus(recipe: dict[str, Any], seed: int) -> list[str]:
    from steps.local.tiny_corpus import tokenizer_corpus

    return tokenizer_corpus(seed=seed, docs=recipe["tokenizer"]["corpus_docs"])


def recipe_hash(name: str, seed: int = 0, corpus: list[str] | None = None) -> str:
    """Hex digest of recipe + seed + corpus content (the corpus is generated when not given)."""
    recipe = _recipe(name)
    corpus = corpus if corpus is not None else _corpus(recipe, seed)
    digest = hashlib.sha256()
    digest.update(json.dumps({"name": name, "recipe": recipe, "seed": seed}, sort_keys=True).encode())
    for text in corpus:
        digest.update(hashlib.sha256(text.encode("utf-8")).digest())
    return digest.hexdigest()


def model_dir_for(name: str, seed: int = 0) -> Path:
    from steps.settings import workspace

    return workspace() / "models" / f"{_slug(name)}-{recipe_hash(name, seed)[:12]}"


def ensure_base_model(name: str = "llmops/tiny-llama", seed: int = 0) -> Path:
    """Return the folder of the built base model, building it first if it does not exist yet."""
    from steps.settings import workspace

    recipe = _recipe(name)
    corpus = _corpus(recipe, seed)
    digest = recipe_hash(name, seed, corpus)
    target = workspace() / "models" / f"{_slug(name)}-{digest[:12]}"
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=target.parent))
    try:
        _build(name, recipe, seed, corpus, digest, tmp)
        os.chmod(tmp, 0o755)  # mkdtemp makes 0700 folders
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / "config.json").is_file():  # lost a race only if the winner finished
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _train_tokenizer(recipe: dict[str, Any], corpus: list[str]):
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    spec = recipe["tokenizer"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(spec["pre_tokenizer_regex"]), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=spec["vocab_size"],
        min_frequency=spec["min_frequency"],
        special_tokens=spec["special_tokens"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus, trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=IM_END,
        pad_token=PAD,
        additional_special_tokens=[ENDOFTEXT, IM_START],
        model_max_length=recipe["model"]["max_position_embeddings"],
        clean_up_tokenization_spaces=False,
    )
    wrapped.chat_template = spec["chat_template"]
    return wrapped


def _init_model(recipe: dict[str, Any], tokenizer, seed: int):
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


def _pretrain(model, tokenizer, recipe: dict[str, Any], seed: int) -> dict[str, Any]:
    """Pre-training stage (not implemented yet: the recipe asks for 0 steps)."""
    steps = int(recipe.get("pretrain_steps", 0))
    if steps == 0:
        return {"steps": 0}
    raise StepFailedError(f"pre-training ({steps} steps) is not implemented yet; set pretrain_steps to 0")


def _build(name: str, recipe: dict[str, Any], seed: int, corpus: list[str], digest: str, out: Path) -> None:
    import torch

    from steps.settings import torch_threads

    torch.set_num_threads(torch_threads())
    started = time.perf_counter()
    tokenizer = _train_tokenizer(recipe, corpus)
    model = _init_model(recipe, tokenizer, seed)
    pretrain = _pretrain(model, tokenizer, recipe, seed)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    info = {
        "name": name, "seed": seed, "recipe_hash": digest, "recipe": recipe, "pretrain": pretrain,
        "parameters": sum(p.numel() for p in model.parameters()), "vocab_size": len(tokenizer),
        "corpus_docs": len(corpus), "build_seconds": round(time.perf_counter() - started, 3),
    }
    (out / "recipe.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
