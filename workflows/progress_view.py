"""What `llmops run`, `approve` and `reject` show while steps run.

One line per step that finished (the Argo UI's node list, as text), always. While steps run, their progress
is read from the progress files the steps write (`N/M`, Argo's `ARGO_PROGRESS_FILE`, see `steps/progress.py`):
- on a terminal, one bar per running step, parallel steps together (rich), with the step's unit, its note
  (the training loss), elapsed time and ETA; a step that reports no progress shows its elapsed time;
- elsewhere (pods, CI, a pipe), plain lines: per step at most one each 10 % of its work or each 30 s.

    with ProgressView(state_dir, workflow_name, interactive=sys.stdout.isatty()) as view:
        LocalRunner(..., on_event=view.on_event).run(workflow)
"""

from __future__ import annotations

import re
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from steps import progress
from workflows.local_runner.state import RunStore
from workflows.run_records import clock

FINISHED = {"Succeeded", "Failed", "Error", "Skipped", "Omitted", "Suspended"}
LINE_STEP = 0.1  # plain lines: one per this fraction of a step's work ...
LINE_EVERY_S = 30.0  # ... or per this many seconds


_NAMED_ITEM = re.compile(r"\((\d+):[^()]*?\bname:([^,()]*)[^()]*\)")


def step_name(node: str) -> str:
    """The node's name below the workflow; a fan-out over map items that have a `name` (the candidates) is
    shown by index and name, not by every value of the item (`candidate(0:rank4).customize`)."""
    name = node.split(".", 1)[1] if "." in node else "(workflow)"
    return _NAMED_ITEM.sub(lambda m: f"({m[1]}:{m[2]})" if m[2] else f"({m[1]})", name)


def result_line(node: str, phase: str, message: str) -> str:
    return f"  {phase:<10} {step_name(node)}{'  ' + message if message else ''}"


def eta_seconds(first: tuple[float, int], now: float, done: int, total: int) -> float | None:
    """Seconds left at the rate since `first` (time, done); None before any progress."""
    elapsed, gained = now - first[0], done - first[1]
    if gained <= 0 or elapsed <= 0:
        return None
    return (total - done) * elapsed / gained


@dataclass
class _Step:
    started: float
    first: tuple[float, int] | None = None  # (time, done) when progress was first seen
    shown: progress.Progress | None = None
    line_at: float = 0.0  # plain lines: when, and at which fraction, the last one was printed
    line_fraction: float = 0.0
    task: Any = None  # the rich task id


class ProgressView:
    def __init__(
        self,
        state_dir: Path,
        workflow_name: str,
        interactive: bool,
        out: TextIO | None = None,
        poll_s: float = 0.5,
        console: Any = None,
    ) -> None:
        self.store = RunStore(state_dir, workflow_name)
        self.interactive = interactive
        self.out = out or sys.stdout
        self.poll_s = poll_s
        self.steps: dict[str, _Step] = {}
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bars: Any = None
        self._console = console

    # ----------------------------------------------------------------------------- lifecycle
    def __enter__(self) -> ProgressView:
        if self.interactive:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            console = self._console or Console(file=self.out)
            self._bars = Progress(
                TextColumn("  {task.description:<28}"),
                BarColumn(bar_width=30),
                MofNCompleteColumn(),
                TextColumn("{task.fields[unit]} {task.fields[note]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            self._bars.start()
        self._thread = threading.Thread(target=self._poll_loop, name="progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._bars is not None:
            self._bars.stop()

    # -------------------------------------------------------------------------------- events
    def on_event(self, node: str, phase: str, message: str) -> None:
        """The runner's event callback: a step started (a bar) or finished (its line)."""
        with self.lock:
            if phase == "Running":
                self.steps.setdefault(node, _Step(started=time.monotonic()))
                return
            step = self.steps.pop(node, None)
            if step is not None and step.task is not None and self._bars is not None:
                self._bars.remove_task(step.task)
            if phase in FINISHED:
                self._print(result_line(node, phase, message))

    def poll(self) -> None:
        """Read the running steps' progress files once and update bars or print lines."""
        with self.lock:
            now = time.monotonic()
            for node, step in self.steps.items():
                path = self.store.progress_path(node)
                if path is None:
                    continue  # a DAG or a step whose process has not started
                state = progress.read(path)
                if state is not None and step.first is None:
                    step.first = (now, state.done)
                if self._bars is not None:
                    self._update_bar(node, step, state)
                elif state is not None and state != step.shown:
                    self._maybe_line(node, step, state, now)
                step.shown = state

    # ------------------------------------------------------------------------------- drawing
    def _update_bar(self, node: str, step: _Step, state: progress.Progress | None) -> None:
        fields = {"unit": state.unit if state else "", "note": state.note if state else ""}
        if step.task is None:
            step.task = self._bars.add_task(step_name(node), total=None, **fields)
        if state is not None:
            self._bars.update(step.task, completed=state.done, total=state.total, **fields)

    def _maybe_line(self, node: str, step: _Step, state: progress.Progress, now: float) -> None:
        due = state.fraction >= step.line_fraction + LINE_STEP or now - step.line_at >= LINE_EVERY_S
        if not due and state.done < state.total:
            return
        if state.done >= state.total and step.line_fraction >= 1.0:
            return
        step.line_at, step.line_fraction = now, state.fraction
        eta = eta_seconds(step.first, now, state.done, state.total) if step.first else None
        parts = [f"{state.done}/{state.total} {state.unit}", f"({state.fraction:.0%})"]
        if state.note:
            parts.append(state.note)
        parts.append(f"elapsed {clock(now - step.started)}")
        if eta is not None and state.done < state.total:
            parts.append(f"ETA {clock(eta)}")
        self._print(f"  {'progress':<10} {step_name(node)}  {' '.join(parts)}")

    def _print(self, line: str) -> None:
        if self._bars is not None:
            self._bars.console.print(line, highlight=False, markup=False)
        else:
            print(line, file=self.out, flush=True)

    def _poll_loop(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.poll()
            except Exception as exc:  # the display must never stop a run
                self._print(f"  (progress display stopped: {type(exc).__name__}: {exc})")
                return
