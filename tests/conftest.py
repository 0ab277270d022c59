"""Test workers share this machine's cores: the local runner's thread budget (`workflows/local_runner/threads.py`)
shares each worker's part of them among its running steps, not the whole machine (LLMOPS_CPUS)."""

import os

from workflows.local_runner.threads import available_cpus

_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
if _WORKERS > 1 and "LLMOPS_CPUS" not in os.environ:
    os.environ["LLMOPS_CPUS"] = str(max(1, available_cpus({}) // _WORKERS))
