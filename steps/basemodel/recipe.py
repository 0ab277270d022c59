"""Recipes of the local base models and their identity (the recipe hash).

A recipe fixes the tokenizer, the architecture, the pre-training corpus mix and seed and the number
of optimizer steps. Its hash covers the recipe, the initialisation seed, the tokenizer corpus and a
sample of the pre-training corpus, so a change to any of them (generators included) gives a new hash,
and so a new workspace folder name (`steps.local.base_model`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from typing import Any

from steps.basemodel.decontamination import Decontamination
from steps.basemodel.pretrain_corpus import documents
from steps.basemodel.tokenizer_corpus import tokenizer_corpus
from steps.errors import NotFoundError
from steps.local.chat_format import CHAT_TEMPLATE, SPECIAL_TOKENS

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
        "pretrain": {
            "steps": 1000,
            "batch_size": 4,
            "seq_len": 512,
            "learning_rate": 2e-3,
            "warmup_steps": 40,
            "min_lr_ratio": 0.1,
            "weight_decay": 0.01,
            "betas": [0.9, 0.98],
            "corpus_seed": 7,
            "mix": {"arithmetic": 0.4, "facts": 0.18, "reading": 0.1, "bills": 0.1, "chat": 0.14, "general": 0.08},
        },
    },
}


def known_models() -> list[str]:
    return sorted(RECIPES)


def recipe(name: str) -> dict[str, Any]:
    if name not in RECIPES:
        raise NotFoundError(
            f"the local platform cannot build base model {name!r}; it can build: {', '.join(known_models())}"
        )
    return RECIPES[name]


def recipe_tokenizer_corpus(spec: dict[str, Any], seed: int) -> list[str]:
    """The texts a recipe's tokenizer is trained on."""
    return tokenizer_corpus(seed=seed, docs=spec["tokenizer"]["corpus_docs"])


def _pretrain_fingerprint(spec: dict[str, Any], count: int = 300) -> bytes:
    """Digest of the first pre-training documents: changes when the corpus generators change."""
    pretrain = spec["pretrain"]
    digest = hashlib.sha256()
    stream = documents(pretrain["corpus_seed"], pretrain["mix"], len, Decontamination.from_smoke_sets())
    for _, text, _ in itertools.islice(stream, count):
        digest.update(hashlib.sha256(text.encode("utf-8")).digest())
    return digest.digest()


def recipe_hash(name: str, seed: int = 0, corpus: list[str] | None = None) -> str:
    """Hex digest of recipe + seed + tokenizer corpus (generated when not given) + pre-training corpus sample."""
    spec = recipe(name)
    corpus = corpus if corpus is not None else recipe_tokenizer_corpus(spec, seed)
    digest = hashlib.sha256()
    digest.update(json.dumps({"name": name, "recipe": spec, "seed": seed}, sort_keys=True).encode())
    for text in corpus:
        digest.update(hashlib.sha256(text.encode("utf-8")).digest())
    digest.update(_pretrain_fingerprint(spec))
    return digest.hexdigest()


def identity(name: str, seed: int) -> tuple[dict[str, Any], list[str], str]:
    """The recipe, its tokenizer corpus and the recipe hash (the corpus is generated once for both)."""
    spec = recipe(name)
    corpus = recipe_tokenizer_corpus(spec, seed)
    return spec, corpus, recipe_hash(name, seed, corpus)
