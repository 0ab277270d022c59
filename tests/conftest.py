"""Test workers share this machine's cores: the local runner's thread budget (`workflows/local_runner/threads.py`)
shares each worker's part of them among its running steps, not the whole machine (LLMOPS_CPUS). A model a test
loads in its own process (the fake NIM of tests/e2e/test_nemo_pipeline.py) takes that part too (LLMOPS_THREADS):
with every core, its threads would wait on the other workers' (many times slower than one thread)."""

import os

import pytest

from workflows.local_runner.threads import available_cpus

_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
if _WORKERS > 1:
    os.environ.setdefault("LLMOPS_CPUS", str(max(1, available_cpus({}) // _WORKERS)))
    os.environ.setdefault("LLMOPS_THREADS", os.environ["LLMOPS_CPUS"])


@pytest.fixture(autouse=True)
def _no_tracking_uri_from_an_earlier_test(monkeypatch):
    """`mlflow.set_tracking_uri` also writes MLFLOW_TRACKING_URI into os.environ, and `steps.settings.tracking_uri`
    reads that before LLMOPS_WORKSPACE: one test's workspace database would be the next test's tracking store on
    the same worker. Each test starts and ends without it (a test that needs a server sets it itself); a
    module-scoped fixture that opens runs before its module's first test removes it itself."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
