"""Serving the local base model (`steps.local.base_model`): copies of the committed weights, no build."""

import ast
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from steps.errors import NotFoundError
from steps.local import base_model
from steps.local.chat_format import SPECIAL_TOKENS, chatml

ROOT = Path(__file__).resolve().parents[2]


def test_serves_hf_folder_that_reloads_offline(base_dir):
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
    for token in SPECIAL_TOKENS:
        assert len(tokenizer(token, add_special_tokens=False)["input_ids"]) == 1
    text = 'Bill B-12637 of 2024-02-14: 399.57 USD {"bill_found": "true"} Pelé ✓'
    assert tokenizer.decode(tokenizer(text, add_special_tokens=False)["input_ids"]) == text
    info = json.loads((base_dir / "recipe.json").read_text())
    assert info["recipe"]["pretrain"]["steps"] > 0 and info["vocab_size"] == len(tokenizer)


def test_chatml_template(base_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    rendered = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    assert rendered == (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    )
    plain = tokenizer.apply_chat_template(messages, tokenize=False)
    assert rendered.startswith(plain) and not plain.endswith("assistant\n")
    assert plain == chatml([(m["role"], m["content"]) for m in messages])  # the corpus writes chats the same way


def test_second_call_reuses_the_folder(base_dir, session_workspace, monkeypatch):
    monkeypatch.setenv("LLMOPS_WORKSPACE", str(session_workspace))
    before = (base_dir / "model.safetensors").stat().st_mtime_ns
    assert base_model.ensure_base_model() == base_dir
    assert (base_dir / "model.safetensors").stat().st_mtime_ns == before
    assert base_model.model_dir_for("llmops/tiny-llama") == base_dir


def test_concurrent_copies_agree(base_dir, tmp_path, monkeypatch):
    from safetensors.torch import load_file

    monkeypatch.setenv("LLMOPS_WORKSPACE", str(tmp_path / "other"))
    results, errors = [], []

    def copy():
        try:
            results.append(base_model.ensure_base_model())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=copy) for _ in range(2)]
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


def test_unknown_model_names_the_committed_ones_and_the_build_command():
    with pytest.raises(NotFoundError, match="llmops/tiny-llama") as error:
        base_model.ensure_base_model("meta-llama/Llama-3.1-8B")
    assert "llmops model build --name meta-llama/Llama-3.1-8B" in str(error.value)
    assert base_model.committed_models() == ["llmops/tiny-llama"]


def test_workspace_copy_is_the_committed_model(base_dir):
    committed = base_model.committed_model_dir("llmops/tiny-llama")
    assert (base_dir / "model.safetensors").read_bytes() == (committed / "model.safetensors").read_bytes()


def test_serving_the_base_model_does_not_import_the_build_package(tmp_path):
    """The deployer copies the committed weights and trusts their recorded hash: no corpus, no recipe."""
    script = (
        "import sys\n"
        "from steps import platforms\n"
        "deployment = platforms.build('local').deployer.ensure_base('llmops/tiny-llama')\n"
        "print(deployment.model_key)\n"
        "print(sorted(m for m in sys.modules if m.startswith(('steps.basemodel', 'steps.data', 'steps.nemo'))))\n"
    )
    env = {**os.environ, "LLMOPS_WORKSPACE": str(tmp_path / "workspace"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    model_key, imported = done.stdout.splitlines()
    recorded = json.loads((base_model.committed_model_dir("llmops/tiny-llama") / "recipe.json").read_text())
    assert model_key == f"llmops-tiny-llama-{recorded['recipe_hash'][:12]}"
    assert (tmp_path / "workspace" / "models" / model_key / "model.safetensors").is_file()
    assert imported == "[]"


def test_no_serving_module_imports_the_build_package():
    for path in (ROOT / "steps" / "local").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            )
            assert not any(name.split(".")[:2] == ["steps", "basemodel"] for name in names), path
