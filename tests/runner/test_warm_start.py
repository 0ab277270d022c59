"""A step forked from the warm-start server is the process a fresh `python -m` would have been.

The probe (`tests/runner/warm_probe.py`) reports what it sees; each test compares a forked step with a fresh
one or with what a fresh interpreter does (exit codes, signals, threads joined, atexit, stdin, seeds).
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workflows.local_runner.warm_start import ForkedStep, WarmStarter, start_fresh, stop_kept_server

ROOT = Path(__file__).resolve().parents[2]
PROBE = [sys.executable, "-m", "tests.runner.warm_probe"]


@pytest.fixture
def starter(tmp_path):
    # Preloading json only: what the server imports does not change what a step sees.
    with WarmStarter(sys.executable, tmp_path / "warm-server.log", preload=("json",)) as warm:
        yield warm


@pytest.fixture
def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "LLMOPS_PROBE_MARKER": "m1"}


def _finish(proc) -> tuple[int, str, str]:
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    return proc.wait(timeout=60), out, err


def test_a_forked_step_sees_what_a_fresh_one_sees(starter, env):
    proc = starter.start([*PROBE, "report", "x"], ROOT, env)
    assert isinstance(proc, ForkedStep)
    code, out, err = _finish(proc)
    forked = json.loads(out)
    code_fresh, out_fresh, err_fresh = _finish(start_fresh([*PROBE, "report", "x"], ROOT, env))
    fresh = json.loads(out_fresh)
    assert code == code_fresh == 0 and err == err_fresh == "to stderr\n"
    for key in ("cwd", "argv", "path0", "marker", "stdin", "name"):
        assert forked[key] == fresh[key], key
    assert forked["sid"] == forked["pid"] == proc.pid  # its own session: the runner signals its process group
    assert forked["ppid"] != os.getpid() and fresh["ppid"] == os.getpid()  # forked by the server, not by us
    second = json.loads(_finish(starter.start([*PROBE, "report", "x"], ROOT, env))[1])
    assert second["random"] != forked["random"]  # reseeded: forked steps do not share the server's seeds


@pytest.mark.parametrize(
    ("args", "code", "stderr"),
    [
        (["exit", "3"], 3, ""),
        (["exit", "a message"], 1, "a message\n"),
        (["raise", "boom"], 1, "RuntimeError: boom"),
    ],
)
def test_exit_status_and_errors_are_those_of_a_fresh_interpreter(starter, env, args, code, stderr):
    forked = _finish(starter.start([*PROBE, *args], ROOT, env))
    fresh = _finish(start_fresh([*PROBE, *args], ROOT, env))
    assert forked[0] == fresh[0] == code
    assert stderr in forked[2] and stderr in fresh[2]


def test_threads_are_joined_and_atexit_handlers_run_before_the_exit_status(starter, env, tmp_path):
    proc = starter.start([*PROBE, "linger", str(tmp_path)], ROOT, env)
    assert _finish(proc)[0] == 0
    assert (tmp_path / "thread").read_text() == "ran" and (tmp_path / "atexit").read_text() == "ran"


def test_a_signalled_step_reports_the_signal_and_waits_time_out_meanwhile(starter, env):
    proc = starter.start([*PROBE, "sleep", "60"], ROOT, env)
    assert proc.stdout.readline() == b"sleeping\n"
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(timeout=0.2)
    os.killpg(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=30) == -signal.SIGTERM


def test_a_different_import_time_environment_starts_the_step_fresh(starter, env):
    assert isinstance(starter.start([*PROBE, "exit", "0"], ROOT, env), ForkedStep)
    # the project's settings are read when called: the step is still forked
    assert isinstance(starter.start([*PROBE, "exit", "0"], ROOT, {**env, "LLMOPS_PROBE_MARKER": "m2"}), ForkedStep)
    # a library may have read HF_HOME at import: the server's copy would be wrong
    fresh = starter.start([*PROBE, "report"], ROOT, {**env, "HF_HOME": "/elsewhere"})
    assert not isinstance(fresh, ForkedStep)
    assert json.loads(_finish(fresh)[1])["ppid"] == os.getpid()
    off = starter.start([*PROBE, "exit", "0"], ROOT, {**env, "LLMOPS_WARM_START": "0"})
    assert not isinstance(off, ForkedStep)
    _finish(off)


def test_when_the_server_dies_its_running_step_is_stopped_and_later_steps_start_fresh(starter, env):
    proc = starter.start([*PROBE, "sleep", "60"], ROOT, env)
    assert proc.stdout.readline() == b"sleeping\n"
    assert starter._server is not None
    starter._server.kill()
    assert proc.wait(timeout=30) == -signal.SIGKILL
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the orphaned step is still running")
    later = starter.start([*PROBE, "exit", "0"], ROOT, env)
    assert not isinstance(later, ForkedStep) and _finish(later)[0] == 0
    assert "starting steps fresh" in (Path(starter.log_path)).read_text()


def test_a_kept_server_serves_the_next_run_of_the_process_with_the_same_environment(tmp_path, env):
    """LLMOPS_WARM_START=keep: the server outlives its run; the next run with the same import-time environment
    forks from it, one with another starts its own (and the kept one stops); without keep, closing stops it."""
    keep = {**env, "LLMOPS_WARM_START": "keep"}

    def run(log: str, step_env: dict[str, str]) -> tuple[int, int]:
        with WarmStarter(sys.executable, tmp_path / log, preload=("json",)) as warm:
            proc = warm.start([*PROBE, "report"], ROOT, step_env)
            assert isinstance(proc, ForkedStep)
            report = json.loads(_finish(proc)[1])
            assert warm._server is not None
            return report["ppid"], warm._server.pid

    first_parent, first = run("first.log", keep)
    assert first_parent == first
    second_parent, second = run("second.log", {**keep, "LLMOPS_PROBE_MARKER": "read when called"})
    assert second == second_parent == first  # forked by the first run's server
    assert f"of an earlier run: {tmp_path / 'first.log'}" in (tmp_path / "second.log").read_text()
    _, other = run("other.log", {**keep, "HF_HOME": "/elsewhere"})  # a library may have read it at import
    assert other != first
    with pytest.raises(ProcessLookupError):
        _wait_gone(first)
    _, plain = run("plain.log", {**env, "HF_HOME": "/elsewhere"})
    assert plain != other  # the kept server was for `keep` runs; this run started its own...
    with pytest.raises(ProcessLookupError):
        _wait_gone(plain)  # ...and stopped it when it ended
    stop_kept_server()
    with pytest.raises(ProcessLookupError):
        _wait_gone(other)


def _wait_gone(pid: int) -> None:
    """Raises ProcessLookupError once `pid` has exited (a stopped server is reaped by its starter)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        os.kill(pid, 0)
        time.sleep(0.05)
