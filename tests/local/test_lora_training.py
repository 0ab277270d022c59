import json
import math

import pytest

from steps import progress
from steps.errors import InvalidInputError
from steps.local.lora_training import LoraTrainingConfig, encode_chat, train_lora


def test_training_records_finite_losses_and_saves_a_loadable_adapter(base_dir, trained_adapter, toy_rows):
    out, result, reported = trained_adapter
    assert result.steps == 4 and result.epochs == 1.0
    assert result.tokens > 0 and result.seconds > 0
    assert 0 < result.trainable_parameters < result.total_parameters
    assert result.train_loss and all(math.isfinite(v) for _, v in result.train_loss)
    assert result.val_loss and result.val_loss[-1][0] == 4 and math.isfinite(result.final_val_loss)
    assert result.final_train_loss == result.train_loss[-1][1]
    assert any("train_loss" in m for _, m in reported) and any("val_loss" in m for _, m in reported)
    for name in ("adapter_config.json", "adapter_model.safetensors", "tokenizer.json"):
        assert (out / name).is_file(), name
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]
    config = json.loads((out / "adapter_config.json").read_text())
    assert config["r"] == 8 and config["lora_alpha"] == 16 and config["peft_type"] == "LORA"

    from steps.local.chat_model import LocalChatModel

    reply = LocalChatModel(base_dir, out, model_id="toy").create(toy_rows(1)[0]["messages"][:2], max_tokens=4)
    assert reply["model"] == "toy" and reply["usage"]["completion_tokens"] <= 4


def test_loss_mask_covers_only_assistant_replies(base_dir, toy_rows):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    messages = toy_rows(1)[0]["messages"] + [
        {"role": "user", "content": "And again?"},
        {"role": "assistant", "content": "Yes."},
    ]
    ids, labels = encode_chat(tokenizer, messages, 512)
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    assert ids == tokenizer(full, add_special_tokens=False)["input_ids"]
    trained = tokenizer.decode([t for t, lab in zip(ids, labels, strict=True) if lab != -100])
    assert trained == messages[2]["content"] + "<|im_end|>" + "Yes.<|im_end|>"
    short_ids, short_labels = encode_chat(tokenizer, messages, 10)
    assert len(short_ids) == len(short_labels) == 10


def test_retraining_replaces_the_adapter_and_honours_max_steps(base_dir, tmp_path, toy_rows, monkeypatch):
    out = tmp_path / "adapter"
    hp = LoraTrainingConfig(batch_size=4, epochs=3, max_steps=1, rank=4, alpha=8)
    progress_file = tmp_path / "progress" / "file"
    progress_file.parent.mkdir()
    monkeypatch.setenv(progress.ENV, str(progress_file))  # as Argo (or the local runner) sets it
    first = train_lora(base_dir, toy_rows(8), [], hp, out)
    assert first.steps == 1 and first.val_loss == [] and first.final_val_loss is None
    assert progress.read(progress_file) == progress.Progress(1, 1, "steps", f"loss {first.final_train_loss:.4f}")
    hp2 = hp.model_copy(update={"modules_to_save": ["embed_tokens", "lm_head"]})
    second = train_lora(base_dir, toy_rows(8), [], hp2, out)
    assert second.trainable_parameters > first.trainable_parameters
    assert json.loads((out / "adapter_config.json").read_text())["modules_to_save"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adapter", "progress"]


def test_bad_rows_are_rejected(base_dir, tmp_path, toy_rows):
    with pytest.raises(InvalidInputError, match="no training rows"):
        train_lora(base_dir, [], [], LoraTrainingConfig(), tmp_path / "a")
    with pytest.raises(InvalidInputError, match="row 1"):
        train_lora(
            base_dir, [{"messages": [{"role": "user", "content": "hi"}]}], [], LoraTrainingConfig(), tmp_path / "a"
        )
    with pytest.raises(InvalidInputError, match="row 2"):
        train_lora(base_dir, [*toy_rows(1), {"text": "x"}], [], LoraTrainingConfig(), tmp_path / "a")
    assert not (tmp_path / "a").exists()


def test_hyperparameter_defaults():
    hp = LoraTrainingConfig()
    assert (hp.rank, hp.alpha, hp.dropout, hp.epochs, hp.learning_rate, hp.batch_size, hp.max_seq_len) == (
        8,
        16,
        0.0,
        1,
        3e-3,
        8,
        512,
    )
    assert hp.target_modules[-1] == "down_proj" and hp.modules_to_save == [] and hp.max_steps is None
