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
    assert info["recipe"]["pretrain_steps"] == 0 and info["vocab_size"] == len(tokenizer)


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
