"""Seeded blocks of torch's global RNG (model initialisation, LoRA set-up, sampled generation)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

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
