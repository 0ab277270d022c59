"""Following long-running NeMo objects (`steps/remote/waiting.py`) under the nemo backend's time scale and redaction."""

from __future__ import annotations

import time
from collections.abc import Callable

from steps.nemo.client import POLICY
from steps.nemo.settings import Timing
from steps.remote import waiting
from steps.remote.waiting import Terminated, sigterm_raises

__all__ = ["Terminated", "Watch", "sigterm_raises"]


def Watch(timing: Timing, what: str, clock: Callable[[], float] = time.monotonic) -> waiting.Watch:
    """A wait on a NeMo object: `timing` scaled by LLMOPS_NEMO_TIME_SCALE, messages redacted."""
    return waiting.Watch(timing, what, POLICY, clock=clock)
