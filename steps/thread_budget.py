"""A computing step follows its thread budget: the share of the machine's cores the local runner gives it now.

The runner rewrites the file named by LLMOPS_THREADS_FILE whenever a step starts or ends
(`workflows/local_runner/threads.py`). Training and generation call `follow()` between batches; it re-reads the
file at most once a second and sets torch's thread count when the share changed, so a step left alone uses
every core. Without the file (a cluster pod, a step called directly) the count stays what `torch_threads()`
said when the step started.
"""

from __future__ import annotations

import os
import time
from typing import Any

from steps.settings import torch_threads

EVERY_S = 1.0


class ThreadBudget:
    def __init__(self, torch: Any) -> None:
        self.torch = torch
        self.follows = bool(os.environ.get("LLMOPS_THREADS_FILE"))
        self.next_check = time.monotonic() + EVERY_S
        torch.set_num_threads(torch_threads())

    def follow(self) -> None:
        if not self.follows or time.monotonic() < self.next_check:
            return
        self.next_check = time.monotonic() + EVERY_S
        threads = torch_threads()
        if threads != self.torch.get_num_threads():
            self.torch.set_num_threads(threads)
