import json
import os
import threading

import pytest

from steps.errors import NotFoundError
from steps.local import tiny_model


def test_builds_hf_folder_that_reloads_offline(base_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "recipe.json"):
        assert (base_dir / name).is_file(), name
    assert base_dir.name.startswith("llmops-tiny-llama-") and len(base_dir.name.rsplit("-", 1)[1]) == 12
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    model = AutoModelForCausalLM.from_pretrained(base_dir)
    config = model.config
    assert config.tie_word_embeddings is False
    assert config.max_position_embeddings == 2048 and config.num_hidden_layers == 4
    assert config.vocab_size == len(tokenizer)
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.pad_token == "<|pad|>"
    for token in tiny_model.SPECIAL_TOKENS:
        assert len(tokenizer(token, add_special_tokens=False)["input_ids"]) == 1
    text = "Bill B-12637 of 2024-02-14: 399.57 USD {\"bill_found\": \"true\"} Pelé ✓"
    assert tokenizer.decode(tokenizer(text, add_special_tokens=False)["input_ids"]) == text
    info = json.loads((base_dir / "recipe.json").read_text())
    assert info["recipe"]["pretrain"]["steps"] > 0 and info["vocab_size"] == len(tokenizer)


def test_chatml_template(base_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    rendered = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    assert rendered == ("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                        "<|im_start|>assistant\n")
    plain = tokenizer.apply_chat_template(messages, tokenize=False)
    assert rendered.startswith(plain) and not plain.endswith("assistant\n")


def test_second_call_reuses_the_folder(base_dir, session_workspace, monkeypatch):
    monkeypatch.setenv("LLMOPS_WORKSPACE", str(session_workspace))
    before = (base_dir / "model.safetensors").stat().st_mtime_ns
    assert tiny_model.ensure_base_model() == base_dir
    assert (base_dir / "model.safetensors").stat().st_mtime_ns == before
    assert tiny_model.model_dir_for("llmops/tiny-llama") == base_dir


def test_concurrent_builds_are_deterministic(base_dir, tmp_path, monkeypatch):
    from safetensors.torch import load_file

    monkeypatch.setenv("LLMOPS_WORKSPACE", str(tmp_path / "other"))
    results, errors = [], []

    def build():
        try:
            results.append(tiny_model.ensure_base_model())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 2 and results[0] == results[1]
    other = results[0]
    assert other.name == base_dir.name and other != base_dir
    assert [p.name for p in other.parent.iterdir()] == [other.name]  # no temp folders left behind
    assert (other / "tokenizer.json").read_bytes() == (base_dir / "tokenizer.json").read_bytes()
    mine, theirs = load_file(base_dir / "model.safetensors"), load_file(other / "model.safetensors")
    assert mine.keys() == theirs.keys()
    assert all(mine[k].equal(theirs[k]) for k in mine)


def test_seed_changes_the_folder_name():
    assert tiny_model.recipe_hash("llmops/tiny-llama", 0) != tiny_model.recipe_hash("llmops/tiny-llama", 1)


def test_unknown_model_names_the_buildable_ones():
    with pytest.raises(NotFoundError, match="llmops/tiny-llama"):
        tiny_model.ensure_base_model("meta-llama/Llama-3.1-8B")


def test_committed_weights_were_built_from_the_current_recipe():
    """A recipe change without `llmops model build` (and a commit of its output) fails here."""
    committed = tiny_model.committed_model_dir("llmops/tiny-llama")
    info = json.loads((committed / "recipe.json").read_text())
    assert info["recipe_hash"] == tiny_model.recipe_hash("llmops/tiny-llama", 0), "run `llmops model build`"
    assert info["recipe"] == tiny_model.RECIPES["llmops/tiny-llama"] and info["seed"] == 0
    pretrain = info["pretrain"]
    assert pretrain["steps"] == info["recipe"]["pretrain"]["steps"]
    assert pretrain["tokens"] == pretrain["steps"] * info["recipe"]["pretrain"]["batch_size"] * info["recipe"]["pretrain"]["seq_len"]
    assert pretrain["final_loss"] < pretrain["loss_curve"][0][1]
    assert 0 < info["build_seconds"] <= 900
    assert (committed / "model.safetensors").stat().st_size <= 20 * 2**20
    scores = {name: s["score"] for name, s in info["benchmarks"].items()}
    assert set(scores) == {"gsm8k", "squad", "triviaqa"}
    assert sum(score >= 0.2 for score in scores.values()) >= 2, scores
    assert all(s["n"] == 50 for s in info["benchmarks"].values())


def test_committed_tokenizer_is_what_the_recipe_trains():
    import tempfile
    from pathlib import Path

    recipe = tiny_model.RECIPES["llmops/tiny-llama"]
    committed = tiny_model.committed_model_dir("llmops/tiny-llama")
    with tempfile.TemporaryDirectory() as tmp:
        tiny_model._train_tokenizer(recipe, tiny_model._corpus(recipe, 0)).save_pretrained(tmp)
        assert (Path(tmp) / "tokenizer.json").read_bytes() == (committed / "tokenizer.json").read_bytes()


def test_workspace_copy_is_the_committed_model(base_dir):
    committed = tiny_model.committed_model_dir("llmops/tiny-llama")
    assert (base_dir / "model.safetensors").read_bytes() == (committed / "model.safetensors").read_bytes()


SMALL = {
    "format_version": 1,
    "tokenizer": {**tiny_model.RECIPES["llmops/tiny-llama"]["tokenizer"], "vocab_size": 600, "corpus_docs": 300},
    "model": {**tiny_model.RECIPES["llmops/tiny-llama"]["model"], "hidden_size": 32, "intermediate_size": 64,
              "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 2},
    "pretrain": {**tiny_model.RECIPES["llmops/tiny-llama"]["pretrain"], "steps": 3, "batch_size": 2, "seq_len": 64,
                 "warmup_steps": 1, "log_every": 1},
}


def test_builds_without_committed_weights_are_pretrained_and_deterministic(tmp_path, monkeypatch):
    from safetensors.torch import load_file

    monkeypatch.setitem(tiny_model.RECIPES, "test/small", SMALL)
    lines: list[str] = []
    first = tiny_model.build_base_model("test/small", 0, tmp_path / "a", evaluate=False, log=lines.append)
    second = tiny_model.build_base_model("test/small", 0, tmp_path / "b", evaluate=False, log=lines.append)
    assert first["pretrain"]["steps"] == 3 and first["pretrain"]["tokens"] == 3 * 2 * 64
    assert first["pretrain"]["corpus"]["tokens_by_skill"]
    assert any(line.startswith("pre-training step 3/3") for line in lines)
    assert first["pretrain"]["loss_curve"] == second["pretrain"]["loss_curve"]
    assert (tmp_path / "a" / "tokenizer.json").read_bytes() == (tmp_path / "b" / "tokenizer.json").read_bytes()
    a, b = load_file(tmp_path / "a" / "model.safetensors"), load_file(tmp_path / "b" / "model.safetensors")
    assert all(a[k].equal(b[k]) for k in a)
    init = tiny_model._init_model(SMALL, tiny_model._train_tokenizer(SMALL, tiny_model._corpus(SMALL, 0)), 0)
    assert not init.state_dict()["lm_head.weight"].equal(a["lm_head.weight"])  # the weights were trained
    # ensure_base_model builds (there are no committed weights for this recipe) into the workspace
    built = tiny_model.ensure_base_model("test/small")
    assert json.loads((built / "recipe.json").read_text())["recipe_hash"] == first["recipe_hash"]
