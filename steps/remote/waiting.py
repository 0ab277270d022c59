"""Following long-running remote objects: a stall timeout that resets on progress, a hard cap, and SIGTERM."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator

from pydantic import BaseModel

from steps.errors import StepFailedError
from steps.remote.policy import RemotePolicy


class Timing(BaseModel):
    """How often to poll and how long to wait for one kind of long-running object (seconds)."""

    poll: float
    stall: float  # fail when no progress for this long
    cap: float  # fail after this long in any case

    def scaled(self, k: float) -> Timing:
        return Timing(poll=self.poll * k, stall=self.stall * k, cap=self.cap * k)


class Watch:
    """Tracks one wait. `advance` records what was seen; `check` fails on a stall or past the cap.

    Progress = the status changed, or any of the numbers (steps, percentage, samples...) grew.
    """

    def __init__(
        self, timing: Timing, what: str, policy: RemotePolicy, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.timing = timing.scaled(policy.time_scale())
        self.what = what
        self.policy = policy
        self.clock = clock
        self.started = self.last_progress = clock()
        self.status: str | None = None
        self.best: list[float] = []

    def advance(self, status: str, *numbers: float | None) -> None:
        values = [float(n) if n is not None else float("-inf") for n in numbers]
        grew = status != self.status or any(
            v > (self.best[i] if i < len(self.best) else float("-inf")) for i, v in enumerate(values)
        )
        if grew:
            self.last_progress = self.clock()
        self.status = status
        self.best = [max(v, self.best[i]) if i < len(self.best) else v for i, v in enumerate(values)]

    def check(self, detail: str = "", hint: str = "") -> None:
        now = self.clock()
        state = f"last status {self.status!r}" + (f", {detail}" if detail else "")
        tail = f"; {hint}" if hint else ""
        if now - self.started > self.timing.cap:
            raise StepFailedError(
                self.policy.redact(f"{self.what}: not finished after {self.timing.cap:.0f}s ({state}){tail}")
            )
        if now - self.last_progress > self.timing.stall:
            raise StepFailedError(
                self.policy.redact(f"{self.what}: no progress for {self.timing.stall:.0f}s ({state}){tail}")
            )

    @property
    def poll(self) -> float:
        return self.timing.poll


class Terminated(BaseException):
    """SIGTERM arrived while a job was followed."""


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """While inside: SIGTERM raises Terminated (main thread only); the previous handler is restored after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is None:  # installed outside Python: nothing to restore but the default
        previous = signal.SIG_DFL

    def handler(signum: int, frame: object) -> None:
        raise Terminated()

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
