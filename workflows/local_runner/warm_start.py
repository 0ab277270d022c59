"""Starting step processes: fresh (`subprocess.Popen`) or forked from a warm server that has the libraries loaded.

Both give the runner the same process: `python -m hera.workflows.runner -e module:function inputs.json` in its
own session, with stdout and stderr on pipes, a pid to signal and an exit status to wait for. A forked step
skips the seconds each fresh step spends importing Hera, MLflow, torch and the rest (`warm_server.py`).

A step is forked only when that is the same as starting it fresh: the same interpreter, and the same
environment except for variables read at call time (the project's own settings, MLflow's, the backends' URLs
and secrets, Argo's and Hera's per-step paths). Anything else a library may have read at import (HF_*,
XDG_*, PYTHON*, OMP_*, ...) must equal the server's, else the step starts fresh. So does every step when the
server cannot start or has exited. `LLMOPS_WARM_START=0` starts every step fresh. `LLMOPS_WARM_START=keep` keeps
the server when its run ends, for the next run of the same process with the same interpreter, libraries, working
directory and import-time environment (a flywheel's rounds, runs from a notebook or a test session): that run's
steps fork from libraries already loaded instead of waiting on a new server's imports. One server is kept; it
exits with this process (its stdin closes).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Protocol

from workflows.local_runner.warm_server import HEADER, read_frame

SERVER_SCRIPT = Path(__file__).with_name("warm_server.py")  # run by path: see its docstring
# Read when called, never at import, by the modules the server preloads: these may differ between steps.
CALL_TIME_PREFIXES = ("LLMOPS_", "MLFLOW_", "ARGO_", "hera__", "NMP_", "NEMO_", "NIM_", "NDS_", "NGC_", "JUDGE_")
# PYTEST_CURRENT_TEST: pytest sets it for each test phase; MLflow reads it when called (whether it runs under a test)
CALL_TIME_NAMES = frozenset({"HF_TOKEN", "PYTEST_CURRENT_TEST"})
SERVER_WAIT_S = 10.0
REPLY_WAIT_S = 120.0  # the server answers between two of its imports: a slow import delays the fork


class StepProcess(Protocol):
    pid: int
    stdout: IO[bytes] | None
    stderr: IO[bytes] | None
    returncode: int | None

    def wait(self, timeout: float | None = None) -> int: ...


def start_fresh(command: list[str], cwd: Path, env: dict[str, str]) -> StepProcess:
    return subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )


def enabled(env: dict[str, str]) -> bool:
    return env.get("LLMOPS_WARM_START", "1").strip().lower() not in {"0", "false", "no", "off"}


def kept(env: dict[str, str]) -> bool:
    """LLMOPS_WARM_START=keep: the server outlives its run, for the next run of this process."""
    return env.get("LLMOPS_WARM_START", "").strip().lower() == "keep"


class _Kept:
    """The one server kept for the next run of this process (LLMOPS_WARM_START=keep), with what it was started for."""

    lock = threading.Lock()
    server: tuple[tuple, subprocess.Popen[bytes], Path, Path] | None = None  # key, process, socket, its log

    @classmethod
    def put(cls, key: tuple, server: subprocess.Popen[bytes], path: Path, log: Path) -> None:
        with cls.lock:
            previous, cls.server = cls.server, (key, server, path, log)
        if previous is not None:
            _stop(previous[1], previous[2])

    @classmethod
    def take(cls, key: tuple) -> tuple[subprocess.Popen[bytes], Path, Path] | None:
        with cls.lock:
            found, cls.server = cls.server, None
        if found is None:
            return None
        if found[0] == key and found[1].poll() is None:
            return found[1], found[2], found[3]
        _stop(found[1], found[2])
        return None


def stop_kept_server() -> None:
    """Stop the server kept for the next run (LLMOPS_WARM_START=keep), if any; done at exit."""
    with _Kept.lock:
        found, _Kept.server = _Kept.server, None
    if found is not None:
        _stop(found[1], found[2])


atexit.register(stop_kept_server)


def _stop(server: subprocess.Popen[bytes], path: Path | None) -> None:
    server.kill()  # it holds nothing to save, and may be in the middle of an import
    server.wait()
    if server.stdin is not None:
        server.stdin.close()
    if path is not None:
        path.unlink(missing_ok=True)
        path.parent.rmdir()


def import_time_env(env: dict[str, str]) -> dict[str, str]:
    """The part of an environment that libraries may read when imported."""
    return {k: v for k, v in env.items() if not k.startswith(CALL_TIME_PREFIXES) and k not in CALL_TIME_NAMES}


class ForkedStep:
    """A step forked by the warm server: its pipes, its pid, and its exit status as the server reports it."""

    def __init__(self, conn: socket.socket, pid: int, stdout: IO[bytes], stderr: IO[bytes]) -> None:
        self.pid = pid
        self.stdout: IO[bytes] | None = stdout
        self.stderr: IO[bytes] | None = stderr
        self.returncode: int | None = None
        self._conn = conn
        self._done = threading.Event()
        threading.Thread(target=self._watch, daemon=True, name=f"warm-step-{pid}").start()

    def _watch(self) -> None:
        try:
            self._conn.settimeout(None)
            self.returncode = int(_read_message(self._conn)["exit"])
        except (OSError, ValueError, KeyError):
            # The server exited while the step ran: nobody can report its status; stop it so no orphan remains.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            print(f"the warm-start server exited while step process {self.pid} ran", file=sys.stderr)
            self.returncode = -signal.SIGKILL
        finally:
            self._conn.close()
            self._done.set()

    def poll(self) -> int | None:
        return self.returncode if self._done.is_set() else None

    def wait(self, timeout: float | None = None) -> int:
        if not self._done.wait(timeout):
            raise subprocess.TimeoutExpired(f"step process {self.pid}", timeout or 0.0)
        assert self.returncode is not None
        return self.returncode


class WarmStarter:
    """Starts steps for one run: forked from a warm server (started on the first step) where that is the same."""

    def __init__(self, python: str, log_path: Path, preload: tuple[str, ...] = ("hera.workflows",)) -> None:
        self.python, self.log_path, self.preload = python, log_path, preload
        self._lock = threading.Lock()
        self._server: subprocess.Popen[bytes] | None = None
        self._server_env: dict[str, str] | None = None
        self._socket: Path | None = None
        self._key: tuple | None = None  # what the server was started for, when it may be kept (LLMOPS_WARM_START=keep)
        self._failed = False

    def start(self, command: list[str], cwd: Path, env: dict[str, str]) -> StepProcess:
        if not enabled(env) or command[:2] != [self.python, "-m"]:
            return start_fresh(command, cwd, env)
        with self._lock:
            path = self._ensure_server(env, cwd)
            compatible = self._server_env == import_time_env(env)
        if path is None or not compatible:
            return start_fresh(command, cwd, env)
        try:
            return self._fork(path, command[2:], cwd, env)
        except (OSError, ValueError, KeyError) as err:
            with self._lock:
                self._failed = True
            self._log(f"warm start failed, starting steps fresh from now on: {type(err).__name__}: {err}\n")
            return start_fresh(command, cwd, env)

    def close(self) -> None:
        with self._lock:
            server, self._server = self._server, None
        if server is None:
            return
        if self._key is not None and not self._failed and server.poll() is None and self._socket is not None:
            _Kept.put(self._key, server, self._socket, self.log_path)
            return
        _stop(server, self._socket)

    def __enter__(self) -> WarmStarter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _log(self, text: str) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(text)

    def _ensure_server(self, env: dict[str, str], cwd: Path) -> Path | None:
        """The server's socket, starting the server with this step's environment; None when it cannot serve."""
        if self._failed:
            return None
        if self._server is not None:
            if self._server.poll() is None:
                return self._socket
            self._failed = True
            self._log(f"the warm-start server exited ({self._server.returncode}); starting steps fresh\n")
            return None
        key = (self.python, self.preload, str(cwd), tuple(sorted(import_time_env(env).items())))
        self._key = key if kept(env) else None
        if self._key is not None and (found := _Kept.take(key)) is not None:
            self._server, self._socket, started_by = found
            self._server_env = import_time_env(env)
            self._log(
                f"steps fork from the warm-start server (pid {self._server.pid}) of an earlier run: {started_by}\n"
            )
            return self._socket
        folder = Path(tempfile.mkdtemp(prefix="llmops-warm-"))  # short: a socket path has ~100 characters
        self._socket = folder / "server.sock"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self._server = subprocess.Popen(
                [self.python, str(SERVER_SCRIPT), str(self._socket), ",".join(self.preload)],
                cwd=cwd,
                env=env,
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._server_env = import_time_env(env)
        deadline = time.monotonic() + SERVER_WAIT_S
        while not self._socket.exists():
            if self._server.poll() is not None or time.monotonic() > deadline:
                self._failed = True
                self._log("the warm-start server did not start; starting steps fresh\n")
                return None
            time.sleep(0.02)
        return self._socket

    def _fork(self, path: Path, argv: list[str], cwd: Path, env: dict[str, str]) -> ForkedStep:
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.settimeout(REPLY_WAIT_S)
            conn.connect(str(path))
            body = json.dumps({"argv": argv, "env": env, "cwd": str(cwd)}).encode()
            frame = HEADER.pack(len(body)) + body
            sent = socket.send_fds(conn, [frame], [out_w, err_w])
            conn.sendall(frame[sent:])
            pid = int(_read_message(conn)["pid"])
        except BaseException:
            conn.close()
            for fd in (out_r, err_r):
                os.close(fd)
            raise
        finally:
            for fd in (out_w, err_w):  # the server holds its own copies (or never got them)
                os.close(fd)
        return ForkedStep(conn, pid, os.fdopen(out_r, "rb"), os.fdopen(err_r, "rb"))


def _read_message(conn: socket.socket) -> dict:
    message = read_frame(conn)
    if "error" in message:
        raise ValueError(f"the warm-start server refused the step: {message['error']}")
    return message
