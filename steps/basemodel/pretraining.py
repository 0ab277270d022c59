"""Full-model causal-LM pre-training of the tiny base model on the project's own corpus.

Documents from `steps.basemodel.pretrain_corpus` (each closed by `<|endoftext|>`) are packed into rows of
`seq_len` tokens until `steps * batch_size` rows exist; the rows are shuffled with the corpus seed and seen
once, in order. AdamW with linear warm-up and a cosine decay over the step count down to
`min_lr_ratio` of the peak, gradient clipping at 1.0, loss on every token. Nothing depends on the
wall clock, so the same recipe, seed and thread count give the same weights.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from steps.basemodel.decontamination import CorpusStats, Decontamination
from steps.basemodel.pretrain_corpus import documents
from steps.errors import StepFailedError
from steps.local.chat_format import ENDOFTEXT
from steps.logic.lr_schedule import warmup_cosine


class PretrainSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: int = Field(ge=0)
    batch_size: int = Field(4, ge=1)
    seq_len: int = Field(512, ge=16)
    learning_rate: float = Field(2e-3, gt=0)
    warmup_steps: int = Field(40, ge=0)
    min_lr_ratio: float = Field(0.1, ge=0, le=1)
    weight_decay: float = Field(0.01, ge=0)
    betas: tuple[float, float] = (0.9, 0.98)
    corpus_seed: int = 7
    mix: dict[str, float]
    log_every: int = Field(50, ge=1)


def packed_rows(tokenizer, spec: PretrainSpec, end_id: int) -> tuple[list[list[int]], dict[str, Any]]:
    """`steps * batch_size` rows of `seq_len` token ids, and what went into them."""
    needed = spec.steps * spec.batch_size * spec.seq_len
    stats = CorpusStats()
    stream: list[int] = []
    tokens_by_skill: dict[str, int] = {}

    last: list[int] = []

    def count(text: str) -> int:  # documents() balances the mix by tokens; keep the ids it counted
        last[:] = tokenizer(text, add_special_tokens=False)["input_ids"] + [end_id]
        return len(last)

    for skill, _, n in documents(spec.corpus_seed, spec.mix, count, Decontamination.from_smoke_sets(), stats):
        stream.extend(last)
        tokens_by_skill[skill] = tokens_by_skill.get(skill, 0) + n
        if len(stream) >= needed:
            break
    rows = [stream[i : i + spec.seq_len] for i in range(0, needed, spec.seq_len)]
    random.Random(f"pretrain-rows-{spec.corpus_seed}").shuffle(rows)
    info = {
        "tokens_by_skill": dict(sorted(tokens_by_skill.items())),
        "documents": dict(sorted(stats.documents.items())),
        "skipped_contaminated": stats.skipped_contaminated,
    }
    return rows, info


def pretrain(model, tokenizer, spec: PretrainSpec, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train `model` in place; returns steps, tokens, timing, the loss curve and the corpus make-up."""
    if spec.steps == 0:
        return {"steps": 0}
    import torch

    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    end_id = tokenizer.convert_tokens_to_ids(ENDOFTEXT)
    started = time.perf_counter()
    rows, corpus = packed_rows(tokenizer, spec, end_id)
    log(
        f"pre-training corpus: {sum(corpus['tokens_by_skill'].values()):,} tokens {corpus['tokens_by_skill']} "
        f"({time.perf_counter() - started:.1f} s)"
    )
    data = torch.tensor(rows, dtype=torch.long)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=spec.learning_rate, betas=spec.betas, weight_decay=spec.weight_decay
    )
    model.train()
    curve: list[tuple[int, float]] = []
    window: list[float] = []
    train_started = time.perf_counter()
    for step in range(spec.steps):
        for group in optimizer.param_groups:
            group["lr"] = spec.learning_rate * warmup_cosine(step, spec.warmup_steps, spec.steps, spec.min_lr_ratio)
        batch = data[step * spec.batch_size : (step + 1) * spec.batch_size]
        loss = model(input_ids=batch, labels=batch).loss
        if not torch.isfinite(loss):
            raise StepFailedError(
                f"pre-training diverged at step {step + 1}: loss {float(loss)}; lower the recipe's learning_rate"
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        window.append(loss.item())
        if (step + 1) % spec.log_every == 0 or step + 1 == spec.steps:
            curve.append((step + 1, round(sum(window) / len(window), 4)))
            window.clear()
            elapsed = time.perf_counter() - train_started
            rate = (step + 1) * spec.batch_size * spec.seq_len / elapsed
            log(
                f"pre-training step {step + 1}/{spec.steps} loss {curve[-1][1]:.3f} {rate:,.0f} tokens/s "
                f"eta {elapsed / (step + 1) * (spec.steps - step - 1):.0f} s"
            )
    model.eval()
    seconds = time.perf_counter() - train_started
    tokens = spec.steps * spec.batch_size * spec.seq_len
    return {
        "steps": spec.steps,
        "tokens": tokens,
        "train_seconds": round(seconds, 1),
        "tokens_per_second": round(tokens / seconds),
        "final_loss": curve[-1][1],
        "loss_curve": curve,
        "threads": torch.get_num_threads(),
        "corpus": corpus,
    }
