"""Local generation: batched against one conversation at a time, new tokens per second.

The same held-out prompts of the example, greedy, the same token budget, on the project's base model through
the local inference port (`LocalChatModel.create_batch`): batch 1 against batch 32.
"""

from __future__ import annotations

import time

from bench.example_rows import prompts
from bench.table import Figure, at_least

TARGET = 5.0


def new_tokens_per_s(model, conversations: list[list[dict]], batch_size: int, max_tokens: int) -> float:
    started = time.perf_counter()
    replies = model.create_batch(conversations, max_tokens=max_tokens, batch_size=batch_size)
    elapsed = time.perf_counter() - started
    return sum(r["usage"]["completion_tokens"] for r in replies) / elapsed


def measure(n: int = 64, max_tokens: int = 48, batch: int = 32) -> list[Figure]:
    from steps.local.base_model import ensure_base_model
    from steps.local.chat_model import LocalChatModel

    model = LocalChatModel(ensure_base_model())
    conversations = prompts()[:n]
    one = new_tokens_per_s(model, conversations[: max(4, n // 4)], 1, max_tokens)  # a quarter: same per-token rate
    many = new_tokens_per_s(model, conversations, batch, max_tokens)
    how = f"batch {batch}: {many:.0f} new tokens/s; batch 1: {one:.0f} new tokens/s; {max_tokens}-token budget"
    return [at_least("generation", "batched (32) vs unbatched generation", many / one, "x", TARGET, how)]
