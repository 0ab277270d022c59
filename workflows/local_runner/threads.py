"""The local runner's thread budget: this machine's cores shared among the steps running now.

Each step gets LLMOPS_THREADS (its share when it starts) and LLMOPS_THREADS_FILE, a file the runner rewrites
with the step's share whenever a step starts or ends. A step that computes (training, generation) re-reads it
between batches (`steps/thread_budget.py`) and sets torch's thread count: a step left alone uses every core,
two steps side by side get half each. The cores are those this process may run on, or LLMOPS_CPUS (for
example when test workers share one machine). In a cluster a step has its pod's CPU limit and no file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from workflows.local_runner.state import RunStore

THREADS_FILE = "threads"


def available_cpus(env: Mapping[str, str]) -> int:
    value = env.get("LLMOPS_CPUS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def share(cpus: int, running: int) -> int:
    return max(1, cpus // max(1, running))


def step_env(store: RunStore, name: str, threads: int) -> dict[str, str]:
    """A starting step's share and the file that will carry its next ones."""
    path = store.node_dir(name) / THREADS_FILE
    _write(path, threads)
    return {"LLMOPS_THREADS": str(threads), "LLMOPS_THREADS_FILE": str(path)}


def publish(store: RunStore, running: set[str], cpus: int) -> None:
    """Each running step's share, now that the running set changed."""
    threads = share(cpus, len(running))
    for name in running:
        _write(store.node_dir(name) / THREADS_FILE, threads)


def _write(path, threads: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(f"{threads}\n")
    os.replace(tmp, path)
