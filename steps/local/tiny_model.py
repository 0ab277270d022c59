"""The project's own small base model, built locally with no download.

`ensure_base_model("llmops/tiny-llama")` returns a Hugging Face model folder (config.json,
model.safetensors, tokenizer.json, tokenizer_config.json, chat_template.jinja, recipe.json) that
`AutoModelForCausalLM.from_pretrained` / `AutoTokenizer.from_pretrained` load offline.

Recipe: a byte-level BPE tokenizer (digits split in chunks of 1-2, punctuation and whitespace
isolated, so ids, dates and amounts tokenize the same way everywhere) trained on a deterministic
project-generated corpus (`steps.local.tiny_corpus`), ChatML special tokens and chat template, and a
small `LlamaForCausalLM` initialised with `torch.manual_seed(seed)`, then pre-trained on the
project's own corpus (`steps.local.pretraining`, `steps.local.pretrain_corpus`). The folder name
carries 12 hex of the hash of the recipe, the seed, the tokenizer corpus and a sample of the
pre-training corpus, so any change gives a new folder.

Pre-training takes minutes on a laptop CPU, so `llmops model build` runs it once and writes the
result (with the recipe, its hash, the build time and the smoke-benchmark scores in `recipe.json`)
into `steps/local/weights/<name>/`, which is committed; `ensure_base_model` copies those weights when
their recorded hash matches the recipe, and builds from scratch otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from steps.errors import NotFoundError

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


WEIGHTS_DIR = Path(__file__).parent / "weights"
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


def _pretrain_fingerprint(recipe: dict[str, Any], documents: int = 300) -> bytes:
    """Digest of the first pre-training documents: changes when the corpus generators change."""
    import itertools

    from steps.local.pretrain_corpus import Decontamination, documents as stream

    spec = recipe["pretrain"]
    digest = hashlib.sha256()
    for _, text, _ in itertools.islice(
            stream(spec["corpus_seed"], spec["mix"], len, Decontamination.from_smoke_sets()), documents):
        digest.update(hashlib.sha256(text.encode("utf-8")).digest())
    return digest.digest()


def recipe_hash(name: str, seed: int = 0, corpus: list[str] | None = None) -> str:
    """Hex digest of recipe + seed + tokenizer corpus (generated when not given) + pre-training corpus sample."""
    recipe = _recipe(name)
    corpus = corpus if corpus is not None else _corpus(recipe, seed)
    digest = hashlib.sha256()
    digest.update(json.dumps({"name": name, "recipe": recipe, "seed": seed}, sort_keys=True).encode())
    for text in corpus:
        digest.update(hashlib.sha256(text.encode("utf-8")).digest())
    digest.update(_pretrain_fingerprint(recipe))
    return digest.hexdigest()


def _identity(name: str, seed: int) -> tuple[dict[str, Any], list[str], str]:
    """The recipe, its tokenizer corpus and the recipe hash (the corpus is generated once for both)."""
    recipe = _recipe(name)
    corpus = _corpus(recipe, seed)
    return recipe, corpus, recipe_hash(name, seed, corpus)


def model_dir_for(name: str, seed: int = 0) -> Path:
    from steps.settings import workspace

    return workspace() / "models" / f"{_slug(name)}-{recipe_hash(name, seed)[:12]}"


def committed_model_dir(name: str) -> Path:
    """Where `llmops model build` writes a recipe's weights inside the package (committed to git)."""
    return WEIGHTS_DIR / _slug(name)


def _recorded_hash(folder: Path) -> str | None:
    try:
        return json.loads((folder / "recipe.json").read_text(encoding="utf-8")).get("recipe_hash")
    except (OSError, ValueError):
        return None


def ensure_base_model(name: str = "llmops/tiny-llama", seed: int = 0) -> Path:
    """Return the folder of the base model in the workspace.

    Copied from the committed weights when they were built from this exact recipe and seed; built
    here otherwise (minutes: pre-training included).
    """
    from steps.settings import workspace

    recipe, corpus, digest = _identity(name, seed)
    target = workspace() / "models" / f"{_slug(name)}-{digest[:12]}"
    if (target / "config.json").is_file():
        return target
    committed = committed_model_dir(name)

    def produce(tmp: Path) -> None:
        if _recorded_hash(committed) == digest:  # the hash covers the seed too
            for item in committed.iterdir():
                shutil.copy2(item, tmp / item.name)
        else:
            _log(f"building base model {name} (seed {seed}): no committed weights for recipe {digest[:12]}")
            _build(name, recipe, seed, corpus, digest, tmp, _log)

    _atomic_folder(target, produce)
    return target


def build_base_model(name: str, seed: int, out: Path, evaluate: bool = True,
                     log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Build the recipe from scratch into `out` (replacing it) and return what `recipe.json` records.

    With `evaluate`, the smoke benchmarks (first `SMOKE_ROWS` rows each) are run on the result and
    their scores recorded, so the committed weights carry the numbers they were accepted on.
    """
    recipe, corpus, digest = _identity(name, seed)
    log = log or _log

    def produce(tmp: Path) -> None:
        info = _build(name, recipe, seed, corpus, digest, tmp, log)
        if evaluate:
            info["benchmarks"] = _smoke_scores(tmp, log)
            _write_info(tmp, info)

    _atomic_folder(Path(out), produce, replace=True)
    return json.loads((Path(out) / "recipe.json").read_text(encoding="utf-8"))


def _smoke_scores(model_dir: Path, log: Callable[[str], None]) -> dict[str, dict[str, Any]]:
    from steps.data.smoke_benchmarks import DEFAULT_SEED, SMOKE_ROWS, write_smoke_sets
    from steps.local.harness import run_benchmark

    scores = {}
    with tempfile.TemporaryDirectory(prefix="llmops-smoke-") as tmp:
        data = Path(tmp) / "data"
        write_smoke_sets(data, seed=DEFAULT_SEED, n=SMOKE_ROWS)
        for benchmark in ("gsm8k", "squad", "triviaqa"):
            result = run_benchmark(benchmark, data, model_dir, None, SMOKE_ROWS, Path(tmp) / benchmark)
            scores[benchmark] = {"metric": result.metric, "score": round(result.score, 4), "n": result.n,
                                 "smoke_seed": DEFAULT_SEED}
            log(f"smoke benchmark {benchmark}: {result.metric} = {result.score:.3f} (n={result.n})")
    return scores


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _atomic_folder(target: Path, produce: Callable[[Path], None], replace: bool = False) -> None:
    """Fill a temporary sibling folder with `produce`, then rename it to `target`.

    Without `replace` the first writer wins (concurrent builds of one recipe); with it an existing
    `target` is swapped out only once the new folder is complete, so a failed build changes nothing.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=target.parent))
    old = None
    try:
        produce(tmp)
        os.chmod(tmp, 0o755)  # mkdtemp makes 0700 folders
        if replace and target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".old-{target.name}-", dir=target.parent))
            os.rename(target, old / "previous")
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / "config.json").is_file():  # lost a race only if the winner finished
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


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


def _pretrain(model, tokenizer, recipe: dict[str, Any], log) -> dict[str, Any]:
    from steps.local.pretraining import PretrainSpec, pretrain

    return pretrain(model, tokenizer, PretrainSpec(**recipe["pretrain"]), log=log)


def _write_info(out: Path, info: dict[str, Any]) -> None:
    (out / "recipe.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _build(name: str, recipe: dict[str, Any], seed: int, corpus: list[str], digest: str, out: Path,
           log: Callable[[str], None]) -> dict[str, Any]:
    import torch

    from steps.settings import torch_threads

    torch.set_num_threads(torch_threads())
    started = time.perf_counter()
    tokenizer = _train_tokenizer(recipe, corpus)
    model = _init_model(recipe, tokenizer, seed)
    pretrain = _pretrain(model, tokenizer, recipe, log)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    info = {
        "name": name, "seed": seed, "recipe_hash": digest, "recipe": recipe, "pretrain": pretrain,
        "parameters": sum(p.numel() for p in model.parameters()), "vocab_size": len(tokenizer),
        "corpus_docs": len(corpus), "build_seconds": round(time.perf_counter() - started, 1),
        "torch_version": torch.__version__,
    }
    _write_info(out, info)
    return info
