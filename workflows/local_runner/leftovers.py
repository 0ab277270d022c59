"""Step processes a stopped run left behind.

When the runner is killed (SIGKILL, a lost terminal, a machine that slept) its step processes, each the
leader of its own session, go on running. Every attempt records its process (`pid`: process id and start
time) in its folder; before a retry runs a node again, the runner stops what that node's attempts left
running, so two processes never work on one node. The start time tells a leftover from an unrelated process
that got the same id later.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

from workflows.local_runner.state import RunStore

PID_FILE = "pid"
GRACE_S = 5.0


def record_process(work: Path, pid: int) -> None:
    import psutil

    try:
        started = psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        return
    (work / PID_FILE).write_text(f"{pid} {started!r}\n")


def stop_leftovers(store: RunStore, node_names: list[str]) -> list[int]:
    """Stop (SIGTERM, then SIGKILL) the process groups these nodes' attempts left running, each noted in its
    node's log; returns their process ids."""
    import psutil

    found = {
        name: [p for f in store.node_dir(name).glob(f"attempt-*/{PID_FILE}") if (p := leftover_process(f))]
        for name in node_names
    }
    leftovers = [process for processes in found.values() for process in processes]
    for name, processes in found.items():
        if processes:
            with open(store.log_path(name), "a", encoding="utf-8") as log:
                pids = ", ".join(str(p.pid) for p in processes)
                log.write(f"=== retry: stopping process {pids}, left running by the stopped run ===\n")
    stopped = [p.pid for p in leftovers]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for process in leftovers:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, sig)
        _, leftovers = psutil.wait_procs(leftovers, timeout=GRACE_S)
        if not leftovers:
            break
    return stopped


def leftover_process(pid_file: Path):
    """The recorded process, if it is still the one the attempt started."""
    import psutil

    try:
        pid_text, started = pid_file.read_text().split()
        process = psutil.Process(int(pid_text))
        return process if repr(process.create_time()) == started else None
    except (OSError, ValueError, psutil.NoSuchProcess):
        return None
