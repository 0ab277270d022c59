"""Learning-rate schedule shared by pre-training and LoRA fine-tuning."""

from __future__ import annotations

import math


def warmup_cosine(step: int, warmup: int, total: int, floor: float = 0.0) -> float:
    """Multiplier of the peak learning rate at 0-based `step`: linear warm-up over `warmup` steps,
    then a cosine decay down to `floor` at `total` steps (and `floor` after it)."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    cosine = 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
    return floor + (1.0 - floor) * cosine
