"""Running one script node: `python -m hera.workflows.runner -e module:function <inputs.json>` with retries.

Each attempt gets its own folder with the inputs file and the outputs directory (`hera__outputs_directory`);
stdout and stderr go to the node's log (secret values redacted), output parameters are read back from files,
progress is written by the step to `ARGO_PROGRESS_FILE` in the attempt's folder (read by the CLI's display).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from workflows.argo.node_id import attempt_node_name, node_id
from workflows.local_runner.leftovers import record_process
from workflows.local_runner.scripts import OutputSpec, RetryPlan
from workflows.local_runner.state import PROGRESS_FILE
from workflows.local_runner.warm_start import StepProcess, start_fresh

MAX_RESULT_CHARS = 256 * 1024
KILL_GRACE_S = 3.0


class Cancel:
    """Set by the runner to stop all steps (workflow activeDeadlineSeconds); carries the reason."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.reason = ""

    def set(self, reason: str) -> None:
        self.reason = reason
        self.event.set()


@dataclass
class ScriptJob:
    workflow_name: str
    node_name: str
    entrypoint: str  # module:function
    inputs: dict[str, str]
    env: dict[str, str]  # full process environment (may hold secret values: never persisted)
    secrets: list[str]
    outputs: list[OutputSpec]
    deadline_s: float | None
    retry: RetryPlan | None
    log_path: Path
    work_dir: Callable[[int], Path]
    python: str
    cwd: Path
    start: Callable[[list[str], Path, dict[str, str]], StepProcess] = start_fresh  # fresh or forked warm


@dataclass
class JobOutcome:
    phase: str
    message: str
    outputs: dict[str, str] = field(default_factory=dict)
    result: str | None = None
    attempts: int = 0
    subprocess_s: float = 0.0
    intervals: list[tuple[float, float]] = field(default_factory=list)  # monotonic (start, end) per attempt


def run_job(job: ScriptJob, cancel: Cancel) -> JobOutcome:
    """Run attempts until one succeeds, the retry plan says stop, or the run is cancelled."""
    job.log_path.parent.mkdir(parents=True, exist_ok=True)
    outcome = JobOutcome("Error", "not started")
    first_start = time.monotonic()
    while True:
        attempt = outcome.attempts + 1
        phase, message, outputs, result, interval = _attempt(job, attempt, cancel)
        outcome.phase, outcome.message, outcome.outputs, outcome.result = phase, message, outputs, result
        outcome.attempts = attempt
        if interval is not None:
            outcome.intervals.append(interval)
            outcome.subprocess_s += interval[1] - interval[0]
        plan = job.retry
        if phase == "Succeeded" or cancel.event.is_set() or plan is None:
            return outcome
        if not plan.should_retry(phase) or attempt > plan.limit:
            return outcome
        delay = plan.delay(attempt)
        if plan.max_duration_s is not None and time.monotonic() - first_start + delay > plan.max_duration_s:
            outcome.message += " (retry backoff maxDuration reached)"
            return outcome
        _log_line(job, f"=== attempt {attempt} {phase}: {message}; retrying in {delay:g}s ===\n")
        if cancel.event.wait(delay):
            return outcome


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _log_line(job: ScriptJob, text: str) -> None:
    with open(job.log_path, "a", encoding="utf-8") as log:
        log.write(text)


def _attempt(
    job: ScriptJob, attempt: int, cancel: Cancel
) -> tuple[str, str, dict[str, str], str | None, tuple[float, float] | None]:
    work = job.work_dir(attempt)
    shutil.rmtree(work, ignore_errors=True)  # what an attempt of a run that was retried left here
    out_dir = work / "outputs"
    out_dir.mkdir(parents=True, exist_ok=True)
    inputs_file = work / "inputs.json"
    inputs_file.write_text(json.dumps([{"name": k, "value": v} for k, v in job.inputs.items()]))
    # As in an Argo pod: the step may write its progress (`N/M`) to ARGO_PROGRESS_FILE, and ARGO_NODE_ID names
    # the node the attempt runs in (the same again when a retry runs the node again).
    pod = attempt_node_name(job.node_name, attempt, job.retry is not None)
    env = {
        **job.env,
        "hera__outputs_directory": str(out_dir),
        "ARGO_PROGRESS_FILE": str(work / PROGRESS_FILE),
        "ARGO_NODE_ID": node_id(job.workflow_name, pod),
    }
    command = [job.python, "-m", "hera.workflows.runner", "-e", job.entrypoint, str(inputs_file)]
    _log_line(job, f"=== attempt {attempt}: {' '.join(command[1:5])} ===\n")
    start = time.monotonic()
    try:
        proc = job.start(command, job.cwd, env)
    except OSError as err:
        _log_line(job, f"failed to start: {err}\n")
        return "Error", f"failed to start the step process: {err}", {}, None, None
    record_process(work, proc.pid)
    lock = threading.Lock()
    stdout: list[str] = []
    stderr_tail: deque[str] = deque(maxlen=50)
    with open(job.log_path, "a", encoding="utf-8") as log:
        readers = [
            threading.Thread(target=_pump, args=(proc.stdout, log, lock, job.secrets, stdout.append), daemon=True),
            threading.Thread(target=_pump, args=(proc.stderr, log, lock, job.secrets, stderr_tail.append), daemon=True),
        ]
        for reader in readers:
            reader.start()
        killed = _wait(proc, start, job.deadline_s, cancel)
        for reader in readers:
            reader.join()
    end = time.monotonic()
    interval = (start, end)
    if killed is not None:
        _log_line(job, f"=== killed: {killed} ===\n")
        return "Failed", killed, {}, None, interval
    if proc.returncode != 0:
        last = next((line.strip() for line in reversed(stderr_tail) if line.strip()), "")
        return "Failed", last or f"step exited with code {proc.returncode}", {}, None, interval
    outputs: dict[str, str] = {}
    for spec in job.outputs:
        path = out_dir / spec.relative
        if path.is_file():
            outputs[spec.name] = path.read_text(encoding="utf-8")
        elif spec.default is not None:
            outputs[spec.name] = spec.default
        else:
            return "Failed", f"output parameter {spec.name!r} was not written ({spec.relative})", {}, None, interval
    result = "".join(stdout)[:MAX_RESULT_CHARS].rstrip("\n")
    return "Succeeded", "", outputs, result, interval


def _pump(
    stream: IO[bytes] | None, log: IO[str], lock: threading.Lock, secrets: list[str], keep: Callable[[str], None]
) -> None:
    if stream is None:
        return
    for raw in iter(stream.readline, b""):
        line = _redact(raw.decode("utf-8", errors="replace"), secrets)
        keep(line)
        with lock:
            log.write(line)
            log.flush()
    stream.close()


def _wait(proc: StepProcess, start: float, deadline_s: float | None, cancel: Cancel) -> str | None:
    """Wait for exit; kill the process group on deadline or cancel and return why, else None."""
    done = threading.Event()

    def watch() -> None:
        proc.wait()
        done.set()

    threading.Thread(target=watch, daemon=True).start()
    while not done.wait(0.1):
        reason = None
        if cancel.event.is_set():
            reason = cancel.reason or "terminated"
        elif deadline_s is not None and time.monotonic() - start > deadline_s:
            reason = "activeDeadlineSeconds exceeded"
        if reason is not None:
            _kill(proc)
            return reason
    return None


def _kill(proc: StepProcess) -> None:
    for sig, grace in ((signal.SIGTERM, KILL_GRACE_S), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def run_and_report(job: ScriptJob, cancel: Cancel, done: queue.Queue[tuple[str, JobOutcome]]) -> None:
    """Worker thread body: always reports back, so the main loop never waits for a lost step."""
    try:
        outcome = run_job(job, cancel)
    except Exception as err:
        outcome = JobOutcome("Error", f"the local runner could not run the step: {type(err).__name__}: {err}")
    done.put((job.node_name, outcome))
