"""Local LoRA training throughput: the local platform's trainer against a plain PEFT + PyTorch loop.

Both train the same LoRA (the example's rank, alpha, target modules) on the project's base model, on the
same encoded examples in the same order and batches, for the same number of optimizer steps, with the same
torch threads. The plain loop is what a PEFT tutorial writes: `model(input_ids, attention_mask, labels)`
(the LM head over every position), AdamW, gradient clipping. Throughput counts non-padding input tokens.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from bench.example_rows import chat_rows
from bench.table import Figure, at_least, reported

TARGET = 0.95


def plain_peft_loop(base_dir: Path, examples: list[tuple[list[int], list[int]]], cfg, steps: int) -> float:
    """Tokens/s of a textbook PEFT loop over `examples` (ids, labels) for `steps` optimizer steps."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from steps.local.lora_training import IGNORE_INDEX

    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    lora = LoraConfig(
        r=cfg.rank,
        lora_alpha=cfg.alpha,
        lora_dropout=cfg.dropout,
        target_modules=cfg.target_modules,
        task_type="CAUSAL_LM",
    )
    torch.manual_seed(cfg.seed)
    model = get_peft_model(model, lora)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.learning_rate)
    order = list(range(len(examples)))
    random.Random(f"{cfg.seed}-0").shuffle(order)
    pad = 0
    tokens, done = 0, 0
    started = time.perf_counter()
    while done < steps:
        for start in range(0, len(order), cfg.batch_size):
            if done >= steps:
                break
            chunk = [examples[i] for i in order[start : start + cfg.batch_size]]
            width = max(len(ids) for ids, _ in chunk)
            ids = torch.tensor([i + [pad] * (width - len(i)) for i, _ in chunk])
            labels = torch.tensor([lab + [IGNORE_INDEX] * (width - len(lab)) for _, lab in chunk])
            mask = torch.tensor([[1] * len(i) + [0] * (width - len(i)) for i, _ in chunk])
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            tokens += int(mask.sum())
            done += 1
    return tokens / (time.perf_counter() - started)


def measure(steps: int = 40) -> list[Figure]:
    from transformers import AutoTokenizer

    from steps.local.base_model import ensure_base_model
    from steps.local.lora_training import LoraTrainingConfig, encode_chat, train_lora

    base = ensure_base_model()
    rows = chat_rows()
    cfg = LoraTrainingConfig(rank=8, alpha=16, dropout=0.0, epochs=1, learning_rate=1e-3, batch_size=8, seed=0)
    cfg = cfg.model_copy(update={"max_steps": steps, "epochs": max(1, -(-steps * cfg.batch_size // len(rows)))})
    tokenizer = AutoTokenizer.from_pretrained(base)
    examples = [encode_chat(tokenizer, row["messages"], cfg.max_seq_len) for row in rows]
    theirs = plain_peft_loop(base, examples, cfg, steps)
    with tempfile.TemporaryDirectory() as tmp:
        result = train_lora(base, rows, [], cfg, Path(tmp) / "adapter")
    ours = result.tokens / result.seconds
    how = f"ours {ours:.0f} tokens/s, plain PEFT loop {theirs:.0f} tokens/s; {steps} steps of batch {cfg.batch_size}"
    return [
        at_least("training", "LoRA tokens/s vs a plain PEFT loop", ours / theirs, "x", TARGET, how),
        reported("training", "LoRA training tokens/s (local trainer)", ours, "tok/s"),
    ]
