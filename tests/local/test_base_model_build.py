"""Building the local base model (`steps.basemodel`): recipe identity, tokenizer, pre-training."""

import json

import pytest

from steps.basemodel import recipe as recipes
from steps.basemodel.build import build_base_model, init_model
from steps.basemodel.tokenizer_training import train_tokenizer
from steps.errors import NotFoundError
from steps.local import base_model


def test_seed_changes_the_recipe_hash():
    assert recipes.recipe_hash("llmops/tiny-llama", 0) != recipes.recipe_hash("llmops/tiny-llama", 1)


def test_committed_weights_were_built_from_the_current_recipe():
    """A recipe change without `llmops model build` (and a commit of its output) fails here."""
    committed = base_model.committed_model_dir("llmops/tiny-llama")
    info = json.loads((committed / "recipe.json").read_text())
    assert info["recipe_hash"] == recipes.recipe_hash("llmops/tiny-llama", 0), "run `llmops model build`"
    assert info["recipe"] == recipes.RECIPES["llmops/tiny-llama"] and info["seed"] == 0
    assert info["name"] == "llmops/tiny-llama"  # what serving lists as committed
    pretrain = info["pretrain"]
    assert pretrain["steps"] == info["recipe"]["pretrain"]["steps"]
    spec = info["recipe"]["pretrain"]
    assert pretrain["tokens"] == pretrain["steps"] * spec["batch_size"] * spec["seq_len"]
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

    recipe = recipes.RECIPES["llmops/tiny-llama"]
    committed = base_model.committed_model_dir("llmops/tiny-llama")
    with tempfile.TemporaryDirectory() as tmp:
        train_tokenizer(recipe, recipes.recipe_tokenizer_corpus(recipe, 0)).save_pretrained(tmp)
        assert (Path(tmp) / "tokenizer.json").read_bytes() == (committed / "tokenizer.json").read_bytes()


SMALL = {
    "format_version": 1,
    "tokenizer": {**recipes.RECIPES["llmops/tiny-llama"]["tokenizer"], "vocab_size": 600, "corpus_docs": 300},
    "model": {
        **recipes.RECIPES["llmops/tiny-llama"]["model"],
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "num_key_value_heads": 2,
    },
    "pretrain": {
        **recipes.RECIPES["llmops/tiny-llama"]["pretrain"],
        "steps": 3,
        "batch_size": 2,
        "seq_len": 64,
        "warmup_steps": 1,
        "log_every": 1,
    },
}


def test_builds_without_committed_weights_are_pretrained_and_deterministic(tmp_path, monkeypatch):
    from safetensors.torch import load_file

    monkeypatch.setitem(recipes.RECIPES, "test/small", SMALL)
    lines: list[str] = []
    first = build_base_model("test/small", 0, tmp_path / "a", evaluate=False, log=lines.append)
    second = build_base_model("test/small", 0, tmp_path / "b", evaluate=False, log=lines.append)
    assert first["pretrain"]["steps"] == 3 and first["pretrain"]["tokens"] == 3 * 2 * 64
    assert first["pretrain"]["corpus"]["tokens_by_skill"]
    assert any(line.startswith("pre-training step 3/3") for line in lines)
    assert first["pretrain"]["loss_curve"] == second["pretrain"]["loss_curve"]
    assert (tmp_path / "a" / "tokenizer.json").read_bytes() == (tmp_path / "b" / "tokenizer.json").read_bytes()
    a, b = load_file(tmp_path / "a" / "model.safetensors"), load_file(tmp_path / "b" / "model.safetensors")
    assert all(a[k].equal(b[k]) for k in a)
    init = init_model(SMALL, train_tokenizer(SMALL, recipes.recipe_tokenizer_corpus(SMALL, 0)), 0)
    assert not init.state_dict()["lm_head.weight"].equal(a["lm_head.weight"])  # the weights were trained
    # serving never builds: a recipe without committed weights is an error naming the build command
    with pytest.raises(NotFoundError, match="llmops model build --name test/small"):
        base_model.ensure_base_model("test/small")
