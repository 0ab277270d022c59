"""LoRA fine-tuning on the local platform: PEFT + a plain torch loop (no transformers Trainer).

Rows are chat examples `{"messages": [{"role", "content"}, ...], "tools": [...]?}`, rendered with the
tokenizer's chat template (tools and tool calls written into contents first, `chat_format.plain_messages`);
the loss covers only the assistant replies (their content and the closing end token).
AdamW, linear warm-up then cosine decay, gradient clipping at 1.0, seeded and in a deterministic
order. The adapter (and the tokenizer) is saved into a temporary folder, then renamed into place.
"""

from __future__ import annotations

import math
import random
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field

from steps import progress
from steps.atomic_folder import atomic_folder
from steps.contracts import LoraHyperparameters
from steps.errors import InvalidInputError, StepFailedError
from steps.local.training_rows import training_rows
from steps.logic.lr_schedule import warmup_cosine

IGNORE_INDEX = -100
_SENTINEL = "\u0000llmops-assistant-content\u0000"
DEFAULT_TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


class LoraTrainingConfig(LoraHyperparameters):
    """The platform-neutral LoRA hyperparameters plus the knobs only the local trainer has."""

    alpha: float = Field(16, gt=0)  # always a float here: part of the local job's content key
    target_modules: list[str] = Field(default_factory=lambda: list(DEFAULT_TARGET_MODULES))
    modules_to_save: list[str] = Field(default_factory=list)
    max_seq_len: int = Field(512, ge=8)
    warmup_ratio: float = Field(0.1, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0)


class TrainingResult(BaseModel):
    """Curves are (step, loss) pairs; `tokens` counts every non-padding input token (prompt and reply)."""

    steps: int
    epochs: float
    tokens: int
    seconds: float
    trainable_parameters: int
    total_parameters: int
    train_loss: list[tuple[int, float]]
    val_loss: list[tuple[int, float]]
    final_train_loss: float | None
    final_val_loss: float | None


def encode_chat(tokenizer, messages: list[dict], max_seq_len: int) -> tuple[list[int], list[int]]:
    """Token ids and labels (IGNORE_INDEX outside assistant replies) for one conversation.

    Each message is tokenized as the difference between renderings of consecutive prefixes, so the
    ids are those a model sees at generation time (prompt ending in the assistant header).
    """
    ids: list[int] = []
    labels: list[int] = []
    eos = tokenizer.eos_token or ""
    rendered = ""
    for i, message in enumerate(messages):
        full = tokenizer.apply_chat_template(messages[: i + 1], tokenize=False)
        if not full.startswith(rendered):
            raise InvalidInputError("the chat template is not prefix-stable; cannot mask the loss per message")
        segment = full[len(rendered) :]
        if message.get("role") == "assistant":
            # The header is what the template puts before the content (a sentinel marks the content).
            probe = tokenizer.apply_chat_template([*messages[:i], {**message, "content": _SENTINEL}], tokenize=False)
            header = probe[len(rendered) :].split(_SENTINEL)[0] if _SENTINEL in probe else ""
            if not segment.startswith(header):
                header = ""
            body = segment[len(header) :]
            cut = body.rfind(eos) + len(eos) if eos and eos in body else len(body)
            parts = [(header, False), (body[:cut], True), (body[cut:], False)]
        else:
            parts = [(segment, False)]
        for text, trained in parts:
            if text:
                piece = tokenizer(text, add_special_tokens=False)["input_ids"]
                ids += piece
                labels += piece if trained else [IGNORE_INDEX] * len(piece)
        rendered = full
    return ids[:max_seq_len], labels[:max_seq_len]


def _batches(examples: list[tuple[list[int], list[int]]], order: list[int], batch_size: int, pad_id: int):
    import torch

    for start in range(0, len(order), batch_size):
        chunk = [examples[i] for i in order[start : start + batch_size]]
        width = max(len(ids) for ids, _ in chunk)
        input_ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
        labels = torch.full((len(chunk), width), IGNORE_INDEX, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, (ids, labs) in enumerate(chunk):
            input_ids[row, : len(ids)] = torch.tensor(ids)
            labels[row, : len(labs)] = torch.tensor(labs)
            mask[row, : len(ids)] = 1
        yield input_ids, labels, mask


def _loss(model, input_ids, labels, mask):
    """Mean next-token loss over the labelled positions.

    The LM head runs only on the positions that carry a label (the assistant replies, a fraction of
    each chat): on the tiny model that head and its softmax over the vocabulary are a quarter of the
    compute when applied to every position.
    """
    import torch.nn.functional as F

    targets = labels[:, 1:]
    keep = targets != IGNORE_INDEX
    count = int(keep.sum())
    if count == 0:
        return None, 0
    causal = model.get_base_model() if hasattr(model, "get_base_model") else model
    hidden = causal.model(input_ids=input_ids, attention_mask=mask).last_hidden_state[:, :-1, :]
    logits = causal.lm_head(hidden[keep])
    total = F.cross_entropy(logits.float(), targets[keep], reduction="sum")
    return total / count, count


def _evaluate(model, examples, batch_size: int, pad_id: int) -> float | None:
    import torch

    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for input_ids, labels, mask in _batches(examples, list(range(len(examples))), batch_size, pad_id):
            loss, n = _loss(model, input_ids, labels, mask)
            if loss is not None:
                total += float(loss) * n
                count += n
    model.train()
    return total / count if count else None


def train_lora(
    base_dir: Path,
    train_rows: list[dict],
    validation_rows: list[dict],
    hp: LoraTrainingConfig,
    output_dir: Path,
    on_metrics: Callable[[int, dict[str, float]], None] | None = None,
) -> TrainingResult:
    if not train_rows:
        raise InvalidInputError("no training rows: the training split is empty; check the dataset split")
    train_rows, validation_rows = training_rows(train_rows, "train"), training_rows(validation_rows, "validation")

    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from steps.local.seeding import seeded_torch
    from steps.thread_budget import ThreadBudget

    hf_logging.disable_progress_bar()
    budget = ThreadBudget(torch)
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    train = [encode_chat(tokenizer, r["messages"], hp.max_seq_len) for r in train_rows]
    val = [encode_chat(tokenizer, r["messages"], hp.max_seq_len) for r in validation_rows]
    if not any(label != IGNORE_INDEX for _, labels in train for label in labels[1:]):
        raise InvalidInputError(
            f"no assistant tokens left to learn from within max_seq_len={hp.max_seq_len}; raise max_seq_len"
        )

    config = LoraConfig(
        r=hp.rank,
        lora_alpha=hp.alpha,
        lora_dropout=hp.dropout,
        target_modules=hp.target_modules,
        modules_to_save=hp.modules_to_save or None,
        task_type="CAUSAL_LM",
    )
    with warnings.catch_warnings(), seeded_torch(hp.seed):
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        model = get_peft_model(model, config)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    n_trainable = sum(p.numel() for p in trainable)
    n_total = sum(p.numel() for p in model.parameters())

    steps_per_epoch = math.ceil(len(train) / hp.batch_size)
    total_steps = steps_per_epoch * hp.epochs
    if hp.max_steps is not None:
        total_steps = min(total_steps, hp.max_steps)
    warmup = max(1, int(hp.warmup_ratio * total_steps))
    optimizer = torch.optim.AdamW(trainable, lr=hp.learning_rate, weight_decay=hp.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: warmup_cosine(s, warmup, total_steps))
    log_every = max(1, min(10, total_steps // 20))

    train_curve: list[tuple[int, float]] = []
    val_curve: list[tuple[int, float]] = []
    window: list[float] = []
    step, tokens, epoch = 0, 0, 0
    started = time.perf_counter()

    def validate() -> None:
        if val and (not val_curve or val_curve[-1][0] != step):
            value = _evaluate(model, val, hp.batch_size, pad_id)
            if value is not None:
                val_curve.append((step, value))
                if on_metrics:
                    on_metrics(step, {"val_loss": value})

    while step < total_steps:
        order = list(range(len(train)))
        random.Random(f"{hp.seed}-{epoch}").shuffle(order)
        for input_ids, labels, mask in _batches(train, order, hp.batch_size, pad_id):
            if step >= total_steps:
                break
            budget.follow()  # a core another step freed is used from the next batch on
            loss, _ = _loss(model, input_ids, labels, mask)
            step += 1
            tokens += int(mask.sum())
            if loss is not None:
                if not torch.isfinite(loss):
                    raise StepFailedError(
                        f"training diverged: loss is {float(loss)} at step {step}; lower the learning rate"
                    )
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(trainable, 1.0)
                optimizer.step()
                window.append(loss.detach().item())
            scheduler.step()
            if window and (step % log_every == 0 or step == total_steps):
                value = sum(window) / len(window)
                window.clear()
                train_curve.append((step, value))
                if on_metrics:
                    on_metrics(step, {"train_loss": value})
            note = f"loss {train_curve[-1][1]:.4f}" if train_curve else ""
            progress.report(step, total_steps, unit="steps", note=note)
        epoch += 1
        validate()
    validate()

    _save(model, tokenizer, Path(output_dir))
    return TrainingResult(
        steps=step,
        epochs=round(step / steps_per_epoch, 4),
        tokens=tokens,
        seconds=round(time.perf_counter() - started, 3),
        trainable_parameters=n_trainable,
        total_parameters=n_total,
        train_loss=train_curve,
        val_loss=val_curve,
        final_train_loss=train_curve[-1][1] if train_curve else None,
        final_val_loss=val_curve[-1][1] if val_curve else None,
    )


def _save(model, tokenizer, output_dir: Path) -> None:
    """save_pretrained into a temporary sibling folder, then rename it into place (replacing an old one)."""

    def produce(tmp: Path) -> None:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)

    atomic_folder(output_dir, produce, complete=lambda folder: (folder / "adapter_config.json").is_file(), replace=True)
