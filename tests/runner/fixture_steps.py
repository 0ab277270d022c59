"""Tiny step functions for the local runner tests, written against Hera's runner contract.

No `from __future__ import annotations` here: Hera inspects the annotations as classes.
"""

import os
import time
from pathlib import Path
from typing import Annotated

from hera.workflows import Input, Output, Parameter


class AddInput(Input):
    a: int
    b: int = 0


class AddOutput(Output):
    total: Annotated[int, Parameter(name="total")]


def add(inputs: AddInput) -> AddOutput:
    return AddOutput(total=inputs.a + inputs.b)


class FailInput(Input):
    message: str = "step failed on purpose"


def fail(inputs: FailInput) -> None:
    raise RuntimeError(inputs.message)


class CountInput(Input):
    counter_file: str
    succeed_on: int = 1


class CountOutput(Output):
    attempt: Annotated[int, Parameter(name="attempt")]


def flaky(inputs: CountInput) -> CountOutput:
    """Fails until the `succeed_on`-th call (calls are counted in `counter_file`)."""
    path = Path(inputs.counter_file)
    attempt = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(attempt))
    if attempt < inputs.succeed_on:
        raise RuntimeError(f"attempt {attempt} failed")
    return CountOutput(attempt=attempt)


class RecordInput(Input):
    path: str
    text: str


class RecordOutput(Output):
    text: Annotated[str, Parameter(name="text")]


def record(inputs: RecordInput) -> RecordOutput:
    """Appends `text` to a file (to observe which steps ran, and in which order)."""
    with open(inputs.path, "a") as handle:
        handle.write(inputs.text + "\n")
    return RecordOutput(text=inputs.text)


class SleepInput(Input):
    seconds: float


def sleep(inputs: SleepInput) -> None:
    time.sleep(inputs.seconds)


class ListInput(Input):
    count: int


class ListOutput(Output):
    items: Annotated[str, Parameter(name="items")]


def make_list(inputs: ListInput) -> ListOutput:
    import json

    return ListOutput(items=json.dumps([{"n": i, "label": f"x{i}"} for i in range(inputs.count)]))


class EnvInput(Input):
    name: str


class EnvOutput(Output):
    length: Annotated[int, Parameter(name="length")]
    threads: Annotated[str, Parameter(name="threads")]


def show_env(inputs: EnvInput) -> EnvOutput:
    """Prints an env var (a secret in the tests: the runner must redact it) and reports its length."""
    value = os.environ.get(inputs.name, "")
    print(f"value of {inputs.name}: {value}")
    return EnvOutput(length=len(value), threads=os.environ.get("LLMOPS_THREADS", ""))


class TallyInput(Input):
    n: int
    delay: float = 0.0


def count(inputs: TallyInput) -> None:
    """Counts to `n`, reporting Argo progress (`N/M` in ARGO_PROGRESS_FILE) after each item."""
    from steps import progress

    progress.MIN_INTERVAL_S = 0.0
    for i in range(1, inputs.n + 1):
        time.sleep(inputs.delay)
        progress.report(i, inputs.n, unit="items", note=f"item {i}")


class WorkInput(Input):
    path: str
    text: str
    seconds: float = 0.0
    poison: str = ""


def work(inputs: WorkInput) -> RecordOutput:
    """Appends `start <text>`, works `seconds`, fails while the file `poison` exists, else appends `done <text>`
    (to observe which steps ran, how often, and whether one was stopped half-way)."""
    with open(inputs.path, "a") as handle:
        handle.write(f"start {inputs.text} {os.getpid()}\n")
    time.sleep(inputs.seconds)
    if inputs.poison and Path(inputs.poison).exists():
        raise RuntimeError(f"{inputs.text}: poisoned")
    with open(inputs.path, "a") as handle:
        handle.write(f"done {inputs.text}\n")
    return RecordOutput(text=inputs.text)


class WatchInput(Input):
    seconds: float


class WatchOutput(Output):
    seen: Annotated[str, Parameter(name="seen")]


def watch_threads(inputs: WatchInput) -> WatchOutput:
    """The thread shares the runner gave this step while it ran, in order (`steps.thread_budget`)."""
    from steps.settings import torch_threads

    seen = [torch_threads()]
    deadline = time.monotonic() + inputs.seconds
    while time.monotonic() < deadline:
        time.sleep(0.05)
        if torch_threads() != seen[-1]:
            seen.append(torch_threads())
    return WatchOutput(seen=",".join(map(str, seen)))
